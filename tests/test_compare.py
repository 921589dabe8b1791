"""cmokit compare: alignment, normalisation, matching rule, statistics, output formats and errors."""

from __future__ import annotations

import copy
import csv
import itertools
import json
import random
import unicodedata

import krippendorff
import numpy as np
import pytest
from _dual import consensus, submit
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from cmokit.cli import main
from cmokit.extraction.compare import compare
from cmokit.extraction.matching import assign
from cmokit.package.model import Review


def _pick(tables, studies):
    return {t: (h, [r for r in rows if r["study_id"] in studies]) for t, (h, rows) in tables.items()}


def _row(rows, study, **match):
    return next(r for r in rows if r["study_id"] == study and all(r[k] == v for k, v in match.items()))


def invoke(review, *args):
    return CliRunner().invoke(main, [*args, "-C", str(review)])


def conflicts_of(review, *reviewers):
    res = invoke(review, "compare", *reviewers, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture
def pair(review_copy):
    base = _pick(consensus(review_copy), {"ayton-2016", "letourneau-2011", "mitchell-2015", "branch-2013"})
    return review_copy, base, copy.deepcopy(base), copy.deepcopy(base)


def test_normalisation_equal_only_when_the_same_value(pair):
    review, _, a, b = pair
    sa, sb = _row(a["studies"][1], "ayton-2016"), _row(b["studies"][1], "ayton-2016")
    sa["provider"], sb["provider"] = "Mentor", "mentor"                      # case of free text: differs
    sa["title"], sb["title"] = "a  b", "a b"                                 # inner spacing: differs
    sa["country"], sb["country"] = unicodedata.normalize("NFD", " Curaçao\t"), "Curaçao"  # NFC + trim: equal
    sa["delivery_format"], sb["delivery_format"] = "Group", "group"          # case of a code: equal
    sa["intervention_type"], sb["intervention_type"] = "mentoring;parenting", "parenting; MENTORING"  # equal
    sa["exclusion_criteria"], sb["exclusion_criteria"] = "none; none", "none"  # a repeated code: differs
    sa["age_mean"], sb["age_mean"] = "7.50", "7.5"                             # same number: equal
    sa["age_min"], sb["age_min"] = "10", "1"                                   # different numbers
    sa["age_max"], sb["age_max"] = "", "12"                                    # blank vs value: conflict, not in n
    sa["income_group_basis"], sb["income_group_basis"] = " ", ""               # both blank: not compared
    for r in a["studies"][1] + b["studies"][1]:
        if r["study_id"] == "branch-2013":
            r["income_group_basis"] = "  "                                     # blank on both sides, the same
    submit(review, "alice", a)
    submit(review, "bob", b)
    report = conflicts_of(review, "alice", "bob")
    got = {(c["field"], c["value_a"], c["value_b"]) for c in report["conflicts"]}
    assert got == {("provider", "Mentor", "mentor"), ("title", "a  b", "a b"),
                   ("exclusion_criteria", "none; none", "none"), ("age_min", "10", "1"), ("age_max", "", "12")}
    fields = {f["field"]: f for f in report["fields"] if f["table"] == "studies"}
    assert fields["age_max"]["n"] == 3 and fields["age_max"]["conflicts"] == 1
    assert fields["provider"]["n"] == 4 and fields["provider"]["agreement"] == 0.75
    assert fields["delivery_format"]["agreement"] == 1.0
    assert (fields["income_group_basis"]["n"], fields["income_group_basis"]["conflicts"]) == (2, 0)


def test_renumbered_and_edited_rows_are_matched_by_content(pair):
    review, _, a, b = pair
    mitchell = [r for r in b["measures"][1] if r["study_id"] == "mitchell-2015"]
    for r in mitchell:
        r["measure_number"] = str(4 - int(r["measure_number"]))
    edited = _row(b["measures"][1], "mitchell-2015", construct="attachment")
    edited["description"] = edited["description"] + " (edited)"
    submit(review, "alice", a)
    submit(review, "bob", b)
    report = conflicts_of(review, "alice", "bob")
    assert [(c["table"], c["key"], c["field"]) for c in report["conflicts"]] == [
        ("measures", "mitchell-2015 / measure_number a=2 b=2", "description")]
    tables = {t["table"]: t for t in report["tables"]}
    assert tables["measures"]["rows_paired"] == len(a["measures"][1])
    assert report["unmatched"] == []


def test_rows_below_the_threshold_are_reported_unmatched(pair):
    review, _, a, b = pair
    row = _row(b["cmo"][1], "mitchell-2015")
    for f in ("intervention_components", "context", "mechanisms", "ss_outcomes", "child_outcomes", "notes"):
        row[f] = "zzz"
    row.update(support_sources="school", support_types="companionship", ss_effect="worse", child_effect="worse",
               adverse_effect="yes")
    submit(review, "alice", a)
    submit(review, "bob", b)
    report = conflicts_of(review, "alice", "bob")
    assert [(u["key"], u["reviewer"]) for u in report["unmatched"]] == [
        ("mitchell-2015 / cmo_number a=1", "alice"), ("mitchell-2015 / cmo_number b=1", "bob")]
    rows = [c for c in report["conflicts"] if c["field"] == "(row)"]
    assert json.loads(rows[1]["value_b"])["context"] == "zzz" and rows[1]["value_a"] == ""


def test_only_one_reviewer_and_subsets_of_tables(pair):
    review, _, a, b = pair
    b = {t: (h, [r for r in rows if r["study_id"] != "branch-2013"]) for t, (h, rows) in b.items() if t != "appraisal"}
    submit(review, "alice", a)
    submit(review, "bob", b)
    report = conflicts_of(review, "alice", "bob")
    assert report["conflicts"] == []
    assert report["studies_only"] == {"alice": ["branch-2013"], "bob": []}
    only = {(o["table"], o["key"]) for o in report["only"]}
    assert ("studies", "branch-2013") in only
    assert {k for t, k in only if t == "appraisal"} == {f"{r['study_id']} / appraiser a={r['appraiser']}"
                                                        for r in a["appraisal"][1]}


def test_kappa_matches_sklearn_and_json_keys(review_copy):
    base = consensus(review_copy)
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    rng = random.Random(4)
    codes = ["improved", "no_change", "mixed", "worse"]
    for r in b["cmo"][1]:
        if rng.random() < 0.3:
            r["child_effect"] = rng.choice(codes)
    submit(review_copy, "alice", a)
    submit(review_copy, "bob", b)
    report = conflicts_of(review_copy, "alice", "bob")
    f = next(x for x in report["fields"] if (x["table"], x["field"]) == ("cmo", "child_effect"))
    expected = cohen_kappa_score([r["child_effect"] for r in a["cmo"][1]], [r["child_effect"] for r in b["cmo"][1]])
    assert f["kappa"] == pytest.approx(expected, abs=1e-12)
    assert {"table", "field", "n", "agreement", "kappa"} <= set(f)
    assert all({"table", "key", "field", "value_a", "value_b"} <= set(c) for c in report["conflicts"])
    assert report["conflicts"]
    res = invoke(review_copy, "compare", "alice", "bob")
    assert res.exit_code == 0 and "Conflicts:" in res.stdout and "child_effect" in res.stdout
    assert invoke(review_copy, "compare", "alice", "bob", "--fail-on-conflict").exit_code == 1


def test_identical_submissions_do_not_fail(review_copy):
    base = consensus(review_copy)
    submit(review_copy, "alice", base)
    submit(review_copy, "bob", base)
    res = invoke(review_copy, "compare", "alice", "bob", "--fail-on-conflict", "--format", "json")
    assert res.exit_code == 0
    report = json.loads(res.stdout)
    assert report["conflicts"] == [] and report["overall"][0]["agreement"] == 1.0


def test_three_reviewers_alpha_equals_krippendorff(review_copy):
    base = _pick(consensus(review_copy), {r["study_id"] for r in consensus(review_copy)["studies"][1]})
    subs = [copy.deepcopy(base) for _ in range(3)]
    rng = random.Random(7)
    for s in subs[1:]:
        for r in s["studies"][1]:
            if rng.random() < 0.25:
                r["age_band"] = rng.choice(["infants", "children", "adolescents"])
    for name, s in zip(("ann", "ben", "cat"), subs, strict=True):
        submit(review_copy, name, {"studies": s["studies"]})
    report = conflicts_of(review_copy, "ann", "ben", "cat")
    assert {(f["reviewer_a"], f["reviewer_b"]) for f in report["fields"]} == {("ann", "ben"), ("ann", "cat"),
                                                                              ("ben", "cat")}
    alpha = next(x for x in report["alpha"] if (x["table"], x["field"]) == ("studies", "age_band"))
    code = {"infants": 0, "children": 1, "adolescents": 2}
    data = np.array([[code[r["age_band"]] for r in s["studies"][1]] for s in subs], dtype=float)
    assert alpha["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=data,
                                                              level_of_measurement="nominal"), abs=1e-12)
    res = invoke(review_copy, "compare", "ann", "ben", "cat", "--conflicts", str(review_copy / "c.csv"))
    assert res.exit_code == 2 and "--conflicts needs exactly two reviewers" in res.stderr


def test_conflicts_file_format_and_no_overwrite_of_decisions(pair):
    review, _, a, b = pair
    _row(b["cmo"][1], "ayton-2016")["ss_effect"] = "worse"
    submit(review, "alice", a)
    submit(review, "bob", b)
    path = review / "conflicts.csv"
    assert invoke(review, "compare", "alice", "bob", "--conflicts", str(path)).exit_code == 0
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# cmokit-conflicts a=alice:sha256:") and " b=bob:sha256:" in lines[0]
    assert "," not in lines[0]
    assert list(csv.reader(lines[1:])) == [
        ["table", "key", "field", "value_a", "value_b", "decision", "value", "decided_by", "reason"],
        ["cmo", "ayton-2016 / cmo_number a=1 b=1", "ss_effect", "improved", "worse", "", "", "", ""]]
    path.write_text(path.read_text().replace(",worse,,,,", ",worse,a,,carol,"))
    res = invoke(review, "compare", "alice", "bob", "--conflicts", str(path))
    assert res.exit_code == 2 and "already holds decisions; it was not overwritten" in res.stderr
    res = invoke(review, "compare", "alice", "bob", "--conflicts", str(review / "extract/reviewers/bob/c.csv"))
    assert res.exit_code == 2 and "is inside the submission folder of 'bob'" in res.stderr


def test_submission_errors(pair):
    review, _, a, b = pair
    submit(review, "alice", a)
    res = invoke(review, "compare", "alice", "nobody")
    assert res.exit_code == 2
    assert res.stderr == ("Error: extract/reviewers/nobody: no such submission folder. Create it with "
                          "`cmokit template --reviewer nobody`, or give the path of a folder.\n")
    submit(review, "bob", b)
    (review / "extract/reviewers/bob/cmos.csv").write_text("study_id\n")
    res = invoke(review, "compare", "alice", "bob")
    assert res.exit_code == 2 and "'cmos.csv' is not a table of the review" in res.stderr
    (review / "extract/reviewers/bob/cmos.csv").unlink()
    rows = b["studies"][1]
    submit(review, "bob", {"studies": (b["studies"][0], rows + [rows[0]])})
    res = invoke(review, "compare", "alice", "bob")
    assert res.exit_code == 1
    assert res.stderr.startswith("Error: extract/reviewers/bob/studies.csv: 1 problem to fix before it can be "
                                 "compared")
    # the same rule, line and message as `cmokit validate --reviewer bob` gives
    assert (f"extract/reviewers/bob/studies.csv:{len(rows) + 2}: study_id='ayton-2016' [key.primary] duplicate "
            "primary key (study_id='ayton-2016'): line 2 has the same key.") in res.stderr


def test_folder_paths_work_like_ids(pair, tmp_path):
    review, _, a, b = pair
    _row(b["studies"][1], "ayton-2016")["provider"] = "other"
    fa, fb = submit(review, "alice", a), submit(review, "bob", b)
    r1 = compare(Review.open(review), ["alice", "bob"])
    r2 = compare(Review.open(review), [str(fa), str(fb)])
    assert [c.to_dict() for c in r1.conflicts] == [c.to_dict() for c in r2.conflicts]


@pytest.mark.parametrize("seed", range(30))
def test_assign_is_optimal(seed):
    rng = random.Random(seed)
    n, m = rng.randint(1, 5), rng.randint(1, 5)
    w = [[round(rng.random(), 2) for _ in range(m)] for _ in range(n)]
    pairs = assign(w)
    assert len(pairs) == min(n, m)
    assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs)
    if n <= m:
        best = max(sum(w[i][c] for i, c in enumerate(cols)) for cols in itertools.permutations(range(m), n))
    else:
        best = max(sum(w[r][j] for j, r in enumerate(rows)) for rows in itertools.permutations(range(n), m))
    assert sum(w[i][j] for i, j in pairs) == pytest.approx(best)


def test_assign_beats_greedy():
    assert assign([[0.9, 0.8], [0.8, 0.1]]) == [(0, 1), (1, 0)]


def test_text_report_shows_where_long_values_differ():
    from cmokit.extraction.text import excerpts

    a = "Children build and engage in social relationships with others including peers, teachers, parents"
    b = a + " (edited)"
    ea, eb = excerpts(a, b)
    assert ea != eb and eb.endswith("(edited)") and ea.startswith("…") and eb.startswith("…")
    assert excerpts("short", "other") == ("short", "other")


def _reference_similarity(ra: dict, rb: dict, resource) -> float:
    """The similarity exactly as the matching rule defines it, written plainly (the vectorised code must agree)."""
    import re

    from cmokit.extraction.normalise import field_kind, normalise_text

    total, used = 0.0, 0
    for f in resource.fields:
        if f.name in ("study_id", "cmo_number"):
            continue
        x, y = ra[f.name], rb[f.name]
        if field_kind(f) == "text":
            x, y = normalise_text(x), normalise_text(y)
        if x == "" and y == "":
            continue
        used += 1
        if x == y:
            total += 1.0
        elif x and y and (f.multiple or field_kind(f) == "text"):
            sx, sy = ((set(v.split("; ")) if f.multiple else set(re.findall(r"\w+", v.lower()))) for v in (x, y))
            total += len(sx & sy) / len(sx | sy) if sx | sy else 0.0
    return total / used if used else 1.0


@pytest.mark.parametrize("kernel", [False, True], ids=["polars", "numba kernel"])
def test_the_vectorised_similarity_is_the_documented_one(review_copy, monkeypatch, kernel):
    """Compare at scale: the vectorised similarity (polars for small comparisons, the compiled kernel for large
    ones) equals the plain definition on every pair of rows of a study."""
    import polars as pl

    import cmokit.extraction.matching as matching
    from cmokit.extraction.compare import align_table, read_submission_table
    from cmokit.extraction.matching import similarities

    monkeypatch.setattr(matching, "KERNEL_PAIRS", 0 if kernel else 10**12)
    base = consensus(review_copy)
    rng = random.Random(11)
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    for r in b["cmo"][1]:
        for f in ("context", "mechanisms", "notes"):
            words = r[f].split()
            if words and rng.random() < 0.7:
                r[f] = " ".join(w for w in words if rng.random() < 0.7) + rng.choice(
                    ["", " Extra", "  ", " Café STRAßE", " it’s “new” — x…", " ÉCOLE école"])
        if rng.random() < 0.3:
            r["support_types"] = rng.choice(["emotional", "emotional; practical", ""])
        if rng.random() < 0.2:
            r["ss_effect"] = "worse"
    submit(review_copy, "alice", a)
    submit(review_copy, "bob", b)
    rv = Review.open(review_copy)
    res = rv.resource("cmo")
    fa = read_submission_table(rv, res, review_copy / "extract/reviewers/alice/cmo.csv")
    fb = read_submission_table(rv, res, review_copy / "extract/reviewers/bob/cmo.csv")
    tp = align_table(res, fa, fb)
    # every row of A with every row of B (one study each here; as if all were one study's rows)
    ka = tp.a.select(pl.col("_i"), pl.lit("all").alias("_g"))
    kb = tp.b.select(pl.col("_i").alias("_ib"), pl.lit("all").alias("_g"))
    cand = ka.join(kb, on="_g")
    got = similarities(tp, cand).to_list()
    rows_a, rows_b = fa.to_dicts(), fb.to_dicts()
    want = [_reference_similarity(rows_a[i], rows_b[j], res) for i, j in cand.select("_i", "_ib").iter_rows()]
    assert len(got) == len(want) > 200
    assert got == pytest.approx(want, abs=1e-12)
    assert len({round(w, 6) for w in want}) > 20  # many different similarities, not only 0 and 1


@pytest.mark.parametrize("codes", [False, True], ids=["words", "codes"])
def test_the_kernel_cuts_cells_as_polars_does(codes):
    """The compiled kernel's sets are polars' lower-cased \\w+ words (or its '; ' pieces), whatever the text."""
    import polars as pl

    from cmokit.extraction.wordsets import FNV_OFFSET, FNV_PRIME, hash_sets

    def fnv(w: str) -> int:
        h = FNV_OFFSET
        for byte in w.encode():
            h = ((h ^ byte) * FNV_PRIME) % 2**64
        return h

    values = ["Hello, World! hello_world 42", "", "   ", "Café STRAßE naïve", "ÉCOLE école  x", "a; b; a", "a;; b",
              "; ", "; ;  ", "\u212a k", "ǅ dž Σσς", "x\u0301y z\u0301", "it’s “quoted” – dash—x… ‘a’", "end’", "’",
              "a\u2019b\u00a0c", "x\u20ac y", "Ünïcödé’s", "\u2019\u2019abc", "ab\u2019", "日本語 テキスト", "İI ı",
              "tab\tnew\nline", "mixed’ Ünï’x—y"]
    series = pl.Series(values)
    starts, sizes, hashes = hash_sets(series, codes)
    if codes:
        want = [set(v.split("; ")) for v in values]
    else:
        want = [set(w) for w in series.str.to_lowercase().str.extract_all(r"\w+").to_list()]
    for i, v in enumerate(values):
        got = hashes[starts[i]:starts[i] + sizes[i]].tolist()
        assert got == sorted(set(got)), v  # sorted, each once
        assert set(got) == {fnv(w) for w in want[i]}, v


def test_the_compiled_assignment_chooses_what_assign_chooses():
    """Large comparisons assign every study's rows with a compiled copy of assign(): the same pairs, ties included."""
    from cmokit.extraction.assignment import assign_groups

    rng = random.Random(3)
    for _ in range(300):
        groups = [(rng.randint(1, 6), rng.randint(1, 6)) for _ in range(rng.randint(1, 8))]
        s = [rng.choice([0.0, 0.25, 0.5, 0.5, 1.0, rng.random()]) for a, b in groups for _ in range(a * b)]
        threshold = rng.choice([0.0, 0.5])
        want, start = [], 0
        for a, b in groups:
            w = [s[start + i * b:start + (i + 1) * b] for i in range(a)]
            want += [start + i * b + j for i, j in assign(w) if w[i][j] >= threshold]
            start += a * b
        got = assign_groups(np.array(s), np.array([a for a, _ in groups]), np.array([b for _, b in groups]),
                            threshold).tolist()
        assert got == want


def test_the_kernels_compile_without_a_cache_folder(monkeypatch):
    """Where numba finds no folder to cache compiled code in, the kernels are compiled without a cache."""
    import numba

    from cmokit.extraction.wordsets import _jit

    real = numba.njit

    def njit(*args, **options):
        if options.get("cache"):
            raise RuntimeError("cannot cache function: no locator available for file")
        return real(*args, **options)

    monkeypatch.setattr(numba, "njit", njit)

    def double(x):
        return 2 * x

    assert _jit()(double)(21) == 42
