"""Dual extraction of the realist layer: two reviewers judge the evidence; compare aligns their evidence rows within
each theory and study (they number their own rows), reports kappa on judgement, relevance and rigour, and reconcile
writes the adjudicated, renumbered consensus."""

from __future__ import annotations

import copy
import json

from _dual import fill, read_rows, submit
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from cmokit.cli import main
from cmokit.validation.validate import validate_review

NOW = "1764133200"  # 2025-11-26T05:00:00Z


def _row(rows, **match):
    return next(r for r in rows if all(r[k] == v for k, v in match.items()))


def _tables(review):
    return {t: read_rows(review / "extract" / "consensus" / f"{t}.csv") for t in ("theories", "evidence")}


def test_compare_and_reconcile_theories_and_evidence(review_copy, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NOW)
    base = _tables(review_copy)
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    ev_b = b["evidence"][1]
    # a judgement and a rigour differ
    _row(ev_b, theory_id="infants-child-outcomes", study_id="stubbs-2016")["judgement"] = "refines"
    _row(ev_b, theory_id="infants-child-outcomes", study_id="mitchell-2015")["rigour"] = "medium"
    # B numbers Lachman et al.'s two pieces of evidence the other way round: matched by content, not by number
    for r in ev_b:
        if (r["theory_id"], r["study_id"]) == ("adolescents-child-outcomes", "lachman-2017"):
            r["evidence_number"] = str(3 - int(r["evidence_number"]))
    # B adds a piece of evidence A does not have
    extra = dict(_row(ev_b, theory_id="infants-linkage", study_id="cho-2013"), evidence_number="2",
                 judgement="illustrates", quote="NR", justification="NA", notes="bob's second reading")
    ev_b.append(extra)
    # a theory's status differs
    _row(b["theories"][1], theory_id="infants-child-outcomes")["status"] = "refined"
    submit(review_copy, "alice", a)
    submit(review_copy, "bob", b)
    for who in ("alice", "bob"):
        sub = validate_review(review_copy, submission=review_copy / "extract" / "reviewers" / who)
        assert sub.valid, [p.message for p in sub.errors]

    conflicts = review_copy / "conflicts.csv"
    res = CliRunner().invoke(main, ["compare", "alice", "bob", "-C", str(review_copy), "-f", "json",
                                    "--conflicts", str(conflicts)])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    got = [(c["table"], c["key"], c["field"], c["value_a"], c["value_b"]) for c in report["conflicts"]]
    assert got[:3] == [
        ("theories", "infants-child-outcomes", "status", "contested", "refined"),
        ("evidence", "infants-child-outcomes / mitchell-2015 / evidence_number a=1 b=1", "rigour", "low", "medium"),
        ("evidence", "infants-child-outcomes / stubbs-2016 / evidence_number a=1 b=1", "judgement", "refutes",
         "refines"),
    ]
    assert got[3][:3] == ("evidence", "infants-linkage / cho-2013 / evidence_number b=2", "(row)")
    assert len(got) == 4  # Lachman et al.'s renumbered rows pair by content: no conflict

    # kappa on the coded judgements, as scikit-learn computes it on the aligned pairs
    fields = {(f["table"], f["field"]): f for f in report["fields"]}
    va = [r["judgement"] for r in a["evidence"][1]]
    vb = ["refines" if (r["theory_id"], r["study_id"]) == ("infants-child-outcomes", "stubbs-2016") else r["judgement"]
          for r in a["evidence"][1]]
    judgement = fields[("evidence", "judgement")]
    assert judgement["n"] == 49 and judgement["agreement"] == 48 / 49
    assert abs(judgement["kappa"] - cohen_kappa_score(va, vb)) < 1e-12
    rigour = fields[("evidence", "rigour")]
    assert rigour["kind"] == "coded" and rigour["agreement"] == 48 / 49 and rigour["kappa"] is not None
    relevance = fields[("evidence", "relevance")]
    assert relevance["agreement"] == 1.0 and relevance["kappa"] is None  # every value NR: kappa undefined
    assert fields[("theories", "status")]["kappa"] is not None

    # the adjudicator decides; reconcile writes the consensus, renumbered within each theory and study
    fill(conflicts, {
        got[0][:3]: ("a", "", "carol", "the Results cite [35] for and [34,36] against"),
        got[1][:3]: ("a", "", "carol", "'Only one low-quality study [35]'"),
        got[2][:3]: ("a", "", "carol", "a null finding refutes"),
        got[3][:3]: ("b", "", "carol", "keep bob's second reading"),
    })
    res = CliRunner().invoke(main, ["reconcile", "alice", "bob", "--decisions", str(conflicts), "-C", str(review_copy)])
    assert res.exit_code == 0, res.output
    _, evidence = read_rows(review_copy / "extract" / "consensus" / "evidence.csv")
    assert len(evidence) == 50
    cho = [r for r in evidence if (r["theory_id"], r["study_id"]) == ("infants-linkage", "cho-2013")]
    assert [(r["evidence_number"], r["judgement"]) for r in cho] == [("1", "supports"), ("2", "illustrates")]
    lachman = [r for r in evidence if (r["theory_id"], r["study_id"]) == ("adolescents-child-outcomes", "lachman-2017")]
    assert [(r["evidence_number"], r["judgement"]) for r in lachman] == [("1", "refutes"), ("2", "refines")]
    assert _row(evidence, theory_id="infants-child-outcomes", study_id="stubbs-2016")["judgement"] == "refutes"
    _, theories = read_rows(review_copy / "extract" / "consensus" / "theories.csv")
    assert _row(theories, theory_id="infants-child-outcomes")["status"] == "contested"
    report_v = validate_review(review_copy)
    assert report_v.valid, [p.message for p in report_v.errors]
