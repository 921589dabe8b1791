"""End to end: two submissions built from the consensus -> compare -> decisions -> reconcile -> validate."""

from __future__ import annotations

import copy
import json

from _dual import consensus, fill, read_rows, submit
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from cmokit.cli import main
from cmokit.package.model import Review

NOW = "1764133200"  # 2025-11-26T05:00:00Z
STAMP = "2025-11-26T05:00:00Z"


def _row(rows, study, **match):
    return next(r for r in rows if r["study_id"] == study and all(r[k] == v for k, v in match.items()))


def _json(row):
    return json.dumps({k: v for k, v in row.items() if v != ""}, ensure_ascii=False)


def build(review):
    base = consensus(review)
    a = copy.deepcopy(base)
    b = copy.deepcopy(base)
    for side, who in ((a, "alice"), (b, "bob")):
        for r in side["appraisal"][1]:
            r["appraiser"] = who
    # whitespace / Unicode form only: equal
    _row(a["studies"][1], "stubbs-2016")["title"] = "Caf\u00e9 culture"
    _row(b["studies"][1], "stubbs-2016")["title"] = "  Cafe\u0301 culture \t"
    # free-text conflict
    _row(b["studies"][1], "letourneau-2011")["provider"] = "volunteer peers"
    # code conflict
    _row(b["cmo"][1], "letourneau-2011")["ss_effect"] = "improved"
    # multi-code order and code case only: equal
    ayton = _row(b["cmo"][1], "ayton-2016")
    assert ayton["support_sources"] == "mentor; community; social_network"
    ayton["support_sources"] = "social_network;mentor; community"
    ayton["child_effect"] = "NOT_REPORTED"
    # unmatched cmo row: B describes cho-2013 entirely differently
    cho_b = _row(b["cmo"][1], "cho-2013")
    for f in ("intervention_components", "context", "mechanisms", "ss_outcomes", "child_outcomes", "notes"):
        cho_b[f] = f"bob's own reading of {f}"
    cho_b.update(support_sources="school", support_types="companionship", ss_effect="no_change",
                 child_effect="worse", adverse_effect="yes")
    # B numbers mitchell-2015's measures the other way round (still the same rows) and adds one row
    mitchell = [r for r in b["measures"][1] if r["study_id"] == "mitchell-2015"]
    for r in mitchell:
        r["measure_number"] = str(4 - int(r["measure_number"]))
    extra = dict(mitchell[0], measure_number="4", construct="hope", measured_person="child", respondent="child",
                 standardised="NR", instrument="NR", description="hope (bob's reading of the Results)", notes="NA")
    b["measures"][1].append(extra)
    # a study only A extracted
    for t in b:
        b[t] = (b[t][0], [r for r in b[t][1] if r["study_id"] != "vella-2018"])
    submit(review, "alice", a)
    submit(review, "bob", b)
    return base, a, b, cho_b, extra


def test_compare_decide_reconcile_validate(review_copy, folder_state, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NOW)
    base, a, b, cho_b, extra = build(review_copy)
    runner = CliRunner()
    pkg = ["-C", str(review_copy)]
    reviewers_before = folder_state(review_copy / "extract" / "reviewers")
    from cmokit.validation.validate import validate_review

    sub = validate_review(review_copy, submission=review_copy / "extract" / "reviewers" / "alice")
    assert sub.valid, sub.errors
    # bob's only error is the code written in upper case, which compare treats as the same code
    sub = validate_review(review_copy, submission=review_copy / "extract" / "reviewers" / "bob")
    assert [(p.rule, p.field, p.value) for p in sub.errors] == [("constraint.enum", "child_effect", "NOT_REPORTED")]

    # ---- compare (JSON) and the conflicts file
    conflicts_file = review_copy / "conflicts.csv"
    res = runner.invoke(main, ["compare", "alice", "bob", *pkg, "--format", "json", "--conflicts", str(conflicts_file)])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    cho_a = _row(a["cmo"][1], "cho-2013")
    expected_conflicts = [
        ("studies", "letourneau-2011", "provider", "volunteering peers", "volunteer peers"),
        ("cmo", "cho-2013 / cmo_number a=1", "(row)", _json(cho_a), ""),
        ("cmo", "cho-2013 / cmo_number b=1", "(row)", "", _json(cho_b)),
        ("cmo", "letourneau-2011 / cmo_number a=1 b=1", "ss_effect", "worse", "improved"),
        ("measures", "mitchell-2015 / measure_number b=4", "(row)", "", _json(extra)),
    ]
    got = [(c["table"], c["key"], c["field"], c["value_a"], c["value_b"]) for c in report["conflicts"]]
    assert got == expected_conflicts
    assert report["studies_only"] == {"alice": ["vella-2018"], "bob": []}
    carried = {(o["table"], o["key"]) for o in report["only"]}
    assert ("studies", "vella-2018") in carried and all(o["reviewer"] == "alice" for o in report["only"])

    # kappa and agreement figures, against scikit-learn on the pairs compare aligned
    fields = {(f["table"], f["field"]): f for f in report["fields"]}
    paired = [r for r in a["cmo"][1] if r["study_id"] not in ("vella-2018", "cho-2013")]
    va = [r["ss_effect"] for r in paired]
    vb = ["improved" if r["study_id"] == "letourneau-2011" else r["ss_effect"] for r in paired]
    ss = fields[("cmo", "ss_effect")]
    assert ss["n"] == len(paired) == 31
    assert ss["agreement"] == 30 / 31
    assert abs(ss["kappa"] - cohen_kappa_score(va, vb)) < 1e-12
    assert ss["kappa_label"] == "almost perfect"
    assert fields[("cmo", "support_sources")]["agreement"] == 1.0
    assert fields[("cmo", "child_effect")]["agreement"] == 1.0
    assert fields[("studies", "title")]["agreement"] == 1.0
    assert (fields[("studies", "provider")]["n"], fields[("studies", "provider")]["kappa"]) == (32, None)
    assert fields[("studies", "provider")]["agreement"] == 31 / 32
    assert fields[("measures", "construct")]["agreement"] == 1.0  # renumbered rows matched by content

    # ---- the adjudicator decides
    header = conflicts_file.read_text().splitlines()[1]
    assert header == "table,key,field,value_a,value_b,decision,value,decided_by,reason"
    fill(conflicts_file, {
        expected_conflicts[0][:3]: ("other", " trained volunteering peers ", "carol", "Table 1 wording"),
        expected_conflicts[1][:3]: ("b", "", "carol", "bob's row is the one in Table 2"),
        expected_conflicts[2][:3]: ("b", "", "carol", "bob's row is the one in Table 2"),
        expected_conflicts[3][:3]: ("a", "", "carol", "Results: findings favoured the control group"),
        expected_conflicts[4][:3]: ("B", "", "carol", "hope is measured (Results)"),
    })

    # ---- reconcile into the package's consensus
    res = runner.invoke(main, ["reconcile", "alice", "bob", "--decisions", str(conflicts_file), *pkg])
    assert res.exit_code == 0, res.output
    out = review_copy / "extract" / "consensus"

    exp = copy.deepcopy(base)
    _row(exp["studies"][1], "stubbs-2016")["title"] = "Caf\u00e9 culture"
    _row(exp["studies"][1], "letourneau-2011")["provider"] = "trained volunteering peers"
    cho = _row(exp["cmo"][1], "cho-2013")
    cho.clear()
    cho.update(cho_b)
    exp["measures"][1].insert(exp["measures"][1].index(_row(exp["measures"][1], "mitchell-2015",
                                                             measure_number="3")) + 1, extra)
    for r in exp["appraisal"][1]:
        r["appraiser"] = "alice" if r["study_id"] == "vella-2018" else "consensus"

    def key(table, r):
        num = {"cmo": "cmo_number", "measures": "measure_number", "resource_inputs": "input_number"}.get(table)
        return (r["study_id"], int(r[num]) if num else r.get("appraiser", ""))

    for t, (hdr, rows) in exp.items():
        got_hdr, got_rows = read_rows(out / f"{t}.csv")
        assert got_hdr == hdr
        assert got_rows == sorted(rows, key=lambda r, t=t: key(t, r)), t

    log_hdr, log = read_rows(out / "decisions.csv")
    sha = report["reviewers"]
    common = {"decided_at": STAMP, "decided_by": "carol", "reviewer_a": "alice", "reviewer_b": "bob",
              "sha256_a": sha[0]["sha256"], "sha256_b": sha[1]["sha256"]}
    expected_log = [
        dict(entry="1", table="studies", key="letourneau-2011", field="provider", value_a="volunteering peers",
             value_b="volunteer peers", decision="other", value="trained volunteering peers", reason="Table 1 wording"),
        dict(entry="2", table="cmo", key="cho-2013 / cmo_number a=1", field="(row)", value_a=_json(cho_a), value_b="",
             decision="b", value="", reason="bob's row is the one in Table 2"),
        dict(entry="3", table="cmo", key="cho-2013 / cmo_number b=1", field="(row)", value_a="", value_b=_json(cho_b),
             decision="b", value=_json(cho_b), reason="bob's row is the one in Table 2"),
        dict(entry="4", table="cmo", key="letourneau-2011 / cmo_number a=1 b=1", field="ss_effect", value_a="worse",
             value_b="improved", decision="a", value="worse", reason="Results: findings favoured the control group"),
        dict(entry="5", table="measures", key="mitchell-2015 / measure_number b=4", field="(row)", value_a="",
             value_b=_json(extra), decision="b", value=_json(extra), reason="hope is measured (Results)"),
    ]
    decisions = [e for e in log if e["field"] != "(file)"]
    assert decisions == [{k: {**common, **e}[k] for k in log_hdr} for e in expected_log]
    # then one record per table written: its SHA-256 (checked against hashlib), so that a hand edit is noticed
    import hashlib

    files = [e for e in log if e["field"] == "(file)"]
    assert [(e["entry"], e["table"], e["key"], e["decided_by"]) for e in files] == [
        (str(n), t, f"{t}.csv", "cmokit reconcile") for n, t in
        enumerate([r.name for r in Review.open(review_copy).data_resources if r.name != "decisions"], start=6)]
    for e in files:
        assert e["value"] == hashlib.sha256((out / e["key"]).read_bytes()).hexdigest()

    # ---- the result is a valid package
    report_v = validate_review(review_copy)
    assert report_v.valid, [p for p in report_v.errors]

    # ---- running it again changes nothing; reviewers' files were never touched
    state = folder_state(out)
    res = runner.invoke(main, ["reconcile", "alice", "bob", "--decisions", str(conflicts_file), *pkg])
    assert res.exit_code == 0, res.output
    assert "0 new audit-log entries" in res.output
    assert folder_state(out) == state
    assert folder_state(review_copy / "extract" / "reviewers") == reviewers_before
