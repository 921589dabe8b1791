"""Write a synthetic review folder of any size, shaped like the bundled one, with known injected errors.

    python benchmarks/make_synthetic.py --studies 100000 --out benchmarks/out/100000 [--seed 1] [--errors 72]

The folder is complete: ``datapackage.json``, ``schema/`` (with the codebook), ``validators/`` and ``queries/`` are
copied from this repository, and ``extract/consensus/*.csv`` are generated with the same columns as the bundled review.
Free-text cells are recombined from the bundled ``cmo.csv`` paragraphs (same number of paragraphs per cell, so the
same lengths and embedded line breaks). Every study has 2-5 ``cmo`` rows (with their provenance), 2-7 ``measures``
rows, 0-3 ``resource_inputs`` rows, one appraisal and 1-2 ``evidence`` rows, with one theory per 50 studies, so
100,000 studies give about 1.24 million rows.

The data are valid by construction (ages consistent with bands, no ties without a decision, publication inside the
search window, MMAT answers only for the study's category, effect directions with their text, no blank cell). Then
``--errors K`` errors are injected, each into a different study so that each causes exactly one report, and listed in
``DIR/injected.json``: ``{"studies": N, "rows": {...}, "errors": [{"resource", "line", "field", "rule", "value"}]}``
where ``line`` is the physical CSV line (header = line 1). Reuse from Python::

    sys.path.insert(0, "benchmarks"); from make_synthetic import make_review
    info = make_review(Path("out"), studies=1000, seed=1, errors=40)
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
CONSENSUS = ROOT / "extract" / "consensus"
TABLES = ["studies", "cmo", "measures", "resource_inputs", "appraisal", "theories", "evidence"]

SURNAMES = ["ayton", "letourneau", "stubbs", "mitchell", "cho", "byrne", "branch", "doty", "eddy", "ingram", "january",
            "lachman", "marcynyszyn", "nabuco", "parcel", "hauken", "valdez", "smith", "garcia", "nguyen", "okafor",
            "kowalski", "tanaka", "murphy", "svensson", "haddad", "rossi", "dubois", "meyer", "oconnor", "patel"]
COUNTRIES = ["USA", "UK", "Australia", "Canada", "Japan", "Germany", "Netherlands", "Sweden", "Norway", "Ireland",
             "South Africa", "India", "Pakistan", "New Zealand", "USA; Canada"]
INSTRUMENTS = ["NR", "NR", "NR", "Strengths and Difficulties Questionnaire",
               "Multidimensional Scale of Perceived Social Support", "Child Behavior Checklist",
               "Rosenberg Self-Esteem Scale", "Children's Hope Scale",
               "Ages and Stages Questionnaire: Social-Emotional", "Social Provisions Scale"]
SOURCES_CODES = ["family", "partner", "friends", "peers", "mentor", "professionals", "school", "community",
                 "social_network"]
TYPES_CODES = ["emotional", "informational", "practical", "appraisal", "companionship"]
INTERVENTIONS = ["mentoring", "peer_support", "parenting", "family_support", "linkage", "community_capacity",
                 "service_integration", "psychoeducation", "skills_training"]
EFFECTS = ["improved", "improved", "improved", "no_change", "mixed", "worse"]
CONSTRUCTS = ["mental_health", "development", "attachment", "self_esteem", "hope", "coping", "school", "parenting"]
INPUT_TYPES = ["staff_time", "volunteers", "training", "travel", "childcare", "money", "existing_services",
               "implementation", "cost_discussion"]
ANSWERS = ["yes", "yes", "yes", "no", "cant_tell"]
JUDGEMENTS = ["supports", "refutes", "refines", "illustrates"]
BANDS = [("infants", 0, 2), ("children", 3, 9), ("adolescents", 10, 18)]
WINDOW_END = np.datetime64("2018-06-08")


# ---------------------------------------------------------------------------------------------------------------
# text pools recombined from the bundled review


def _read(name: str) -> list[dict[str, str]]:
    with open(CONSENSUS / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _cell_pool(values: list[str], rng: np.random.Generator, size: int) -> np.ndarray:
    """Cells built like the bundled ones: the same number of paragraphs per cell, paragraphs drawn from all cells."""
    paras = [p for v in values for p in v.split("\n") if p.strip() and p not in ("NR", "NA")]
    counts = [len([p for p in v.split("\n") if p.strip()]) or 1 for v in values if v not in ("NR", "NA", "")]
    ks = rng.choice(counts, size=size)
    out = []
    for k in ks:
        idx = rng.integers(0, len(paras), size=int(k))
        out.append("\n".join(paras[i] for i in idx))
    return np.array(out, dtype=object)


def _pick(pool: list[str] | np.ndarray, rng: np.random.Generator, n: int) -> pl.Series:
    pool = np.asarray(pool, dtype=object)
    return pl.Series(pool[rng.integers(0, len(pool), size=n)].tolist(), dtype=pl.String)


def _codes(codes: list[str], rng: np.random.Generator, n: int, kmax: int, pool_size: int = 512) -> pl.Series:
    pool = []
    for _ in range(pool_size):
        k = int(rng.integers(1, kmax + 1))
        pool.append("; ".join(rng.choice(codes, size=k, replace=False).tolist()))
    return _pick(pool, rng, n)


# ---------------------------------------------------------------------------------------------------------------
# valid tables


def _ages(rng: np.random.Generator, n: int) -> dict[str, list[str]]:
    """Ages and age band columns, consistent with the band rule (no unresolved tie)."""
    out: dict[str, list[str]] = {k: [] for k in ("age_min", "age_max", "age_mean", "age_band", "age_band_basis",
                                                 "age_band_justification", "age_band_decided_by")}
    kind = rng.random(n)
    band_i = rng.choice(3, size=n, p=[0.15, 0.4, 0.45])
    for i in range(n):
        band, lo, hi = BANDS[band_i[i]]
        k = kind[i]
        decided = "NA"
        if k < 0.55:  # ages inside one band
            a = int(rng.integers(lo, hi + 1))
            b = int(rng.integers(a, hi + 1))
            basis = "reported_ages"
            just = f"Ages {a}-{b} reported; all within the {band} band ({lo}-{hi})."
        elif k < 0.75:  # ages straddling two bands, a clear majority in one
            a, b, band = [(5, 12, "children"), (1, 5, "children"), (2, 7, "children"), (8, 15, "adolescents"),
                          (7, 16, "adolescents"), (9, 17, "adolescents"), (0, 3, "infants")][int(rng.integers(0, 7))]
            basis = "reported_ages"
            just = f"Ages {a}-{b} straddle two bands; {band} covers more of the study's years."
        elif k < 0.78:  # a tie, decided by a reviewer
            a, b, band = [(8, 11, "children"), (8, 11, "adolescents"), (1, 4, "infants"), (7, 12, "children")][
                int(rng.integers(0, 4))]
            basis = "reviewer_decision"
            just = f"Ages {a}-{b} cover two bands equally; the reviewer chose {band} from the study's focus."
            decided = "r" + str(int(rng.integers(1, 4)))
        else:  # no ages: band from the review's table or inferred
            out["age_min"].append("NR")
            out["age_max"].append("NR")
            out["age_mean"].append("NR")
            out["age_band"].append(band)
            if k < 0.95:
                out["age_band_basis"].append("review_table")
                out["age_band_justification"].append(
                    f"Listed in the review's table for {band} ({lo}-{hi} years); the paper does not print the ages.")
            else:
                out["age_band_basis"].append("inferred")
                out["age_band_justification"].append(
                    "No ages given by the study; inferred from the background information that it referred "
                    f"primarily to {band}.")
            out["age_band_decided_by"].append("NA")
            continue
        mean = round(float(rng.uniform(a, b)), 1) if b > a else float(a)
        out["age_min"].append(str(a))
        out["age_max"].append(str(b))
        out["age_mean"].append(f"{mean:g}")
        out["age_band"].append(band)
        out["age_band_basis"].append(basis)
        out["age_band_justification"].append(just)
        out["age_band_decided_by"].append(decided)
    return out


def _realist(n: int, rng: np.random.Generator, ids: np.ndarray, included: np.ndarray,
             cmo_ix: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Theories (one per 50 studies, at least 20) with a lineage forest, and 1-2 evidence rows per included study
    on the first 80% of the theories; statuses follow the evidence, so that the realist rules hold."""
    th_src, ev_src = _read("theories"), _read("evidence")
    k = max(20, n // 50)
    tids = np.array([f"theory-{i + 1}" for i in range(k)], dtype=object)
    parent = np.where((np.arange(k) > 0) & (rng.random(k) < 0.4), (rng.random(k) * np.arange(k)).astype(np.int64),
                      -1)
    counts = np.where(included, rng.choice([1, 1, 2], size=n), 0)
    owner = np.repeat(np.arange(n), counts)
    m = len(owner)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    theory = rng.integers(0, int(k * 0.8), size=m)
    second = np.arange(m) - starts[owner] == 1
    theory = np.where(second & (theory == np.roll(theory, 1)), (theory + 1) % int(k * 0.8), theory)
    judgement = rng.choice(JUDGEMENTS, size=m, p=[0.5, 0.2, 0.2, 0.1])
    has = {j: np.zeros(k, dtype=bool) for j in JUDGEMENTS}
    for j in JUDGEMENTS:
        has[j][np.unique(theory[judgement == j])] = True
    children = np.zeros(k, dtype=bool)
    children[parent[parent >= 0]] = True
    status = np.select([has["supports"] & has["refutes"], has["supports"], has["refutes"], has["refines"] | children],
                       ["contested", "supported", "refuted", "refined"], "initial")
    theories = pl.DataFrame({
        "theory_id": tids.tolist(),
        "kind": rng.choice(["programme_theory", "demi_regularity", "proposition", "substantive_theory"], size=k),
        "label": _pick([r["label"] for r in th_src], rng, k),
        "statement": _pick([r["statement"] for r in th_src], rng, k),
        "status": status,
        "refines": np.where(parent >= 0, tids[np.maximum(parent, 0)], "NA"),
        "source": rng.choice(["literature", "review_evidence", "substantive_theory", "stakeholders"], size=k),
        "locator": _pick([r["locator"] for r in th_src], rng, k),
        "notes": _pick([r["notes"] for r in th_src], rng, k),
    })
    evidence = pl.DataFrame({
        "theory_id": tids[theory].tolist(),
        "study_id": ids[owner].tolist(),
        "evidence_number": np.ones(m, dtype=np.int64).astype(str),
        # configuration 1 exists for every study with cmo rows (and survives the injected duplicate key)
        "cmo_number": np.where(rng.random(m) < 0.7, "1", "NA"),
        "judgement": judgement,
        "relevance": rng.choice(["high", "medium", "low", "NR"], size=m),
        "rigour": rng.choice(["high", "medium", "low", "NR"], size=m),
        "quote": _pick([r["quote"] for r in ev_src], rng, m),
        "locator": _pick([r["locator"] for r in ev_src], rng, m),
        "justification": _pick([r["justification"] for r in ev_src], rng, m),
        "notes": _pick([r["notes"] for r in ev_src], rng, m),
    })
    return theories, evidence, np.stack([starts, counts], axis=1)


def build_tables(n: int, rng: np.random.Generator) -> tuple[dict[str, pl.DataFrame], dict[str, np.ndarray]]:
    """Valid tables for ``n`` studies; also the first row and row count of each study in every child table."""
    cmo_src = _read("cmo")
    studies_src = _read("studies")
    meas_src = _read("measures")
    ri_src = _read("resource_inputs")
    app_src = _read("appraisal")

    # studies ---------------------------------------------------------------------------------------------------
    sur = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), size=n)]
    year = rng.integers(2008, 2019, size=n)
    excluded = rng.random(n) < 0.01
    ids = [f"{s}{i + 1}-{y}" for i, (s, y) in enumerate(zip(sur, year, strict=True))]
    labels = [f"{s.capitalize()}{i + 1} et al ({y})" for i, (s, y) in enumerate(zip(sur, year, strict=True))]
    # a full date for ~30% of studies (always for 2018, so the window rule never falls back to the year 2018)
    has_date = (rng.random(n) < 0.3) | (year == 2018)
    day = rng.integers(0, 365, size=n)
    dates = np.array([f"{y}-01-01" for y in year], dtype="datetime64[D]") + day
    dates = np.where(year == 2018, np.minimum(dates, WINDOW_END), dates)
    pub = np.where(has_date, dates.astype(str), "NR")
    ages = _ages(rng, n)
    band = np.array(ages["age_band"])
    table_no = np.select([band == "infants", band == "children"], ["1", "2"], "3")
    evidence = rng.choice(["evaluation", "protocol", "conceptual"], size=n, p=[0.9, 0.06, 0.04])
    mh = np.where(evidence != "evaluation", "described",
                  np.where((band == "infants") & (rng.random(n) < 0.7), "infant_predictor", "measured"))
    income = rng.choice(["high", "middle", "low"], size=n, p=[0.85, 0.12, 0.03])
    excl_codes = ["parent_behaviour_only", "maltreatment_only", "extreme_adversity",
                  "autism_or_severe_communication_needs"]
    exclusion = np.where(excluded, np.array(excl_codes, dtype=object)[rng.integers(0, 4, size=n)], "none")
    titles = _cell_pool([r["mechanisms"] for r in cmo_src], rng, 2048)
    titles = np.array([t.split("\n")[0][:140] for t in titles], dtype=object)
    studies = pl.DataFrame({
        "study_id": ids,
        "ref_number": [str(i + 1) for i in range(n)],
        "study_label": labels,
        "first_author": [s.capitalize() + str(i + 1) for i, s in enumerate(sur)],
        "year": year.astype(str),
        "publication_date": pub,
        "title": _pick(titles, rng, n),
        "inclusion_status": np.where(excluded, "excluded", "included"),
        "paper_table": table_no,
        "paper_table_row": rng.integers(1, 40, size=n).astype(str),
        **ages,
        "evidence_type": evidence,
        "country": _pick(COUNTRIES, rng, n),
        "income_group": income,
        "income_group_basis": _pick([r["income_group_basis"] for r in studies_src], rng, n),
        "support_recipient": rng.choice(["child", "parent", "family"], size=n),
        "intervention_type": _codes(INTERVENTIONS, rng, n, 2),
        "delivery_format": rng.choice(["individual", "group", "mixed", "remote", "NR"], size=n),
        "provider": _pick([r["provider"] for r in studies_src], rng, n),
        "ss_in_aims": np.full(n, "yes"),
        "ss_measured": np.full(n, "yes"),
        "mh_outcome": mh,
        "full_text_english": np.full(n, "yes"),
        "exclusion_criteria": exclusion,
        "relevance_rating": rng.choice(["low", "moderate", "high", "NR"], size=n),
        "sources": _pick([r["sources"] for r in studies_src], rng, n),
        "notes": _pick([r["notes"] for r in studies_src], rng, n),
    })
    ids_arr = np.array(ids, dtype=object)
    included = ~excluded

    def child_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        counts = np.where(included, counts, 0)
        owner = np.repeat(np.arange(n), counts)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        number = np.arange(len(owner)) - starts[owner] + 1
        return owner, number, np.stack([starts, counts], axis=1)

    # cmo ------------------------------------------------------------------------------------------------------
    owner, number, cmo_ix = child_index(rng.integers(2, 6, size=n))
    m = len(owner)
    text_cols = ["intervention_components", "context", "mechanisms", "ss_outcomes", "child_outcomes"]
    pools = {c: _cell_pool([r[c] for r in cmo_src], rng, 4096) for c in text_cols}
    ss_eff = np.array(EFFECTS + ["not_applicable"], dtype=object)[rng.integers(0, 7, size=m)]
    ch_eff = np.array(EFFECTS + ["not_reported"], dtype=object)[rng.integers(0, 7, size=m)]
    cmo = pl.DataFrame({
        "study_id": ids_arr[owner].tolist(),
        "cmo_number": number.astype(str),
        **{c: _pick(pools[c], rng, m) for c in text_cols},
        "support_sources": _codes(SOURCES_CODES, rng, m, 3),
        "support_types": pl.Series(np.where(rng.random(m) < 0.5, "NR", _codes(TYPES_CODES, rng, m, 3).to_numpy())),
        "ss_effect": ss_eff,
        "child_effect": ch_eff,
        "adverse_effect": np.where(rng.random(m) < 0.1, "yes", "no"),
        "stance": rng.choice(["hypothesised", "observed", "both"], size=m, p=[0.2, 0.1, 0.7]),
        "locator": _pick([r["locator"] for r in cmo_src], rng, m),
        "quote": _pick([r["quote"] for r in cmo_src], rng, m),
        "confidence": rng.choice(["high", "medium", "low"], size=m, p=[0.6, 0.3, 0.1]),
        "confidence_justification": _pick([r["confidence_justification"] for r in cmo_src], rng, m),
        "notes": _pick([r["notes"] for r in cmo_src], rng, m),
    })

    # measures -------------------------------------------------------------------------------------------------
    owner, number, meas_ix = child_index(rng.integers(2, 8, size=n))
    m = len(owner)
    construct = np.where(number == 1, "social_support",
                         np.array(CONSTRUCTS, dtype=object)[rng.integers(0, len(CONSTRUCTS), size=m)])
    measures = pl.DataFrame({
        "study_id": ids_arr[owner].tolist(),
        "measure_number": number.astype(str),
        "construct": construct,
        "measured_person": rng.choice(["child", "parent", "family"], size=m, p=[0.6, 0.3, 0.1]),
        "respondent": rng.choice(["child", "parent", "teacher", "staff", "NR"], size=m, p=[0.2, 0.2, 0.05, 0.05, 0.5]),
        "standardised": rng.choice(["yes", "no", "NR"], size=m, p=[0.3, 0.1, 0.6]),
        "instrument": _pick(INSTRUMENTS, rng, m),
        "description": _pick([r["description"] for r in meas_src], rng, m),
        "notes": _pick([r["notes"] for r in meas_src], rng, m),
    })

    # resource inputs ------------------------------------------------------------------------------------------
    owner, number, ri_ix = child_index(rng.choice([0, 0, 1, 1, 2, 3], size=n))
    m = len(owner)
    has_amount = rng.random(m) < 0.1
    amin = rng.integers(100, 20000, size=m)
    amax = amin + rng.integers(0, 5000, size=m)
    resource_inputs = pl.DataFrame({
        "study_id": ids_arr[owner].tolist(),
        "input_number": number.astype(str),
        "input_type": np.array(INPUT_TYPES, dtype=object)[rng.integers(0, len(INPUT_TYPES), size=m)],
        "description": _pick([r["description"] for r in ri_src], rng, m),
        "amount_min": np.where(has_amount, amin.astype(str), "NA"),
        "amount_max": np.where(has_amount, amax.astype(str), "NA"),
        "currency": np.where(has_amount, rng.choice(["USD", "GBP", "EUR", "AUD"], size=m), "NA"),
        "unit": np.where(has_amount, "per child per year", "NA"),
        "source": _pick([r["source"] for r in ri_src], rng, m),
    })

    # appraisal: one set per study, answers only for the criteria of the study's MMAT category ---------------------
    owner, number, app_ix = child_index(np.ones(n, dtype=np.int64))
    m = len(owner)
    cat = rng.choice([1, 2, 3, 4, 5], size=m, p=[0.2, 0.25, 0.3, 0.2, 0.05])
    cols: dict[str, object] = {
        "study_id": ids_arr[owner].tolist(),
        "appraiser": np.full(m, "review-team"),
        "mmat_category": cat.astype(str),
        "s1": rng.choice(ANSWERS, size=m),
        "s2": rng.choice(ANSWERS, size=m),
    }
    for c in range(1, 6):
        for k in range(1, 6):
            cols[f"c{c}_{k}"] = np.where(cat == c, rng.choice(ANSWERS, size=m), "NA")
    cols["overall_rating"] = rng.choice(["low", "moderate", "high"], size=m)
    cols["notes"] = _pick([r["notes"] for r in app_src], rng, m)
    appraisal = pl.DataFrame(cols)

    theories, evidence, ev_ix = _realist(n, rng, ids_arr, included, cmo_ix)
    frames = {"studies": studies, "cmo": cmo, "measures": measures, "resource_inputs": resource_inputs,
              "appraisal": appraisal, "theories": theories, "evidence": evidence}
    for name, df in frames.items():  # same columns, same order as the bundled review
        header = next(csv.reader(open(CONSENSUS / f"{name}.csv", encoding="utf-8", newline="")))
        assert df.columns == header, (name, df.columns, header)
    index = {"cmo": cmo_ix, "measures": meas_ix, "resource_inputs": ri_ix, "appraisal": app_ix, "evidence": ev_ix,
             "studies": np.stack([np.arange(n), np.ones(n, dtype=np.int64)], axis=1)}
    return frames, index


# ---------------------------------------------------------------------------------------------------------------
# injected errors: each touches one study (and its rows) only, so that each causes exactly one report

Inj = tuple[str, int, str | None, str, str | None]  # table, row index (before drops), field, rule, value


class Injector:
    def __init__(self, frames: dict[str, pl.DataFrame], index: dict[str, np.ndarray], rng: np.random.Generator):
        self.f = frames
        self.ix = index
        self.rng = rng
        self.drop: dict[str, list[int]] = {t: [] for t in TABLES}
        self.used_theories: set[int] = set()

    def set(self, table: str, row: int, field: str, value: str) -> None:
        self.f[table][row, field] = value

    def get(self, table: str, row: int, field: str) -> str:
        return self.f[table][row, field]

    def row(self, table: str, study: int, k: int = 0) -> int:
        start, count = self.ix[table][study]
        assert count > k, (table, study, k)
        return int(start + k)

    # --- one method per injected problem: returns what cmokit should report ---
    def type_integer(self, s: int) -> Inj:
        self.set("studies", s, "paper_table_row", "3rd")
        return ("studies", s, "paper_table_row", "type.integer", "3rd")

    def type_number(self, s: int) -> Inj:
        r = self.row("resource_inputs", s)
        self.set("resource_inputs", r, "amount_min", "1,234")
        for f, v in (("amount_max", "2000"), ("currency", "USD"), ("unit", "per child per year")):
            self.set("resource_inputs", r, f, v)
        return ("resource_inputs", r, "amount_min", "type.number", "1,234")

    def type_date(self, s: int) -> Inj:
        y = self.get("studies", s, "year")
        self.set("studies", s, "publication_date", f"08/06/{y}")
        return ("studies", s, "publication_date", "type.date", f"08/06/{y}")

    def type_boolean(self, s: int) -> Inj:
        r = self.row("cmo", s)
        self.set("cmo", r, "adverse_effect", "Yes")
        return ("cmo", r, "adverse_effect", "type.boolean", "Yes")

    def enum_case(self, s: int) -> Inj:
        r = self.row("measures", s, 1)
        self.set("measures", r, "measured_person", "Parent")
        return ("measures", r, "measured_person", "constraint.enum", "Parent")

    def enum_space(self, s: int) -> Inj:
        r = self.row("cmo", s, 1)
        self.set("cmo", r, "ss_effect", "improved ")
        return ("cmo", r, "ss_effect", "constraint.enum", "improved ")

    def codes_with_commas(self, s: int) -> Inj:
        # valid codes separated by commas: the field's pattern fails
        r = self.row("cmo", s)
        self.set("cmo", r, "support_sources", "family, peers")
        return ("cmo", r, "support_sources", "constraint.pattern", "family, peers")

    def pattern(self, s: int) -> Inj:
        r = self.row("resource_inputs", s)
        for f, v in (("amount_min", "500"), ("amount_max", "800"), ("currency", "usd"), ("unit", "per family")):
            self.set("resource_inputs", r, f, v)
        return ("resource_inputs", r, "currency", "constraint.pattern", "usd")

    def required(self, s: int) -> Inj:
        r = self.row("measures", s, 1)
        self.set("measures", r, "description", "NR")
        return ("measures", r, "description", "constraint.required", "NR")

    def blank(self, s: int) -> Inj:
        r = self.row("cmo", s)
        self.set("cmo", r, "notes", "")
        return ("cmo", r, "notes", "extract.blank", "")

    def minimum(self, s: int) -> Inj:
        r = self.row("measures", s, 1)
        self.set("measures", r, "measure_number", "0")
        return ("measures", r, "measure_number", "constraint.minimum", "0")

    def unique(self, s: int) -> Inj:
        other = self.get("studies", s - 1, "ref_number")
        self.set("studies", s, "ref_number", other)
        return ("studies", s, "ref_number", "constraint.unique", other)

    def primary(self, s: int) -> Inj:
        r = self.row("cmo", s, 1)
        self.set("cmo", r, "cmo_number", "1")
        return ("cmo", r, "cmo_number", "key.primary", "1")

    def foreign(self, s: int) -> Inj:
        r = self.row("measures", s, 1)
        ghost = f"ghost{s + 1}-2015"
        self.set("measures", r, "study_id", ghost)
        return ("measures", r, "study_id", "key.foreign", ghost)

    def _ages(self, s: int, a: str, b: str, mean: str, band: str, basis: str, just: str, by: str = "NA") -> None:
        for f, v in (("age_min", a), ("age_max", b), ("age_mean", mean), ("age_band", band), ("age_band_basis", basis),
                     ("age_band_justification", just), ("age_band_decided_by", by)):
            self.set("studies", s, f, v)
        self.set("studies", s, "mh_outcome", "measured")
        self.set("studies", s, "evidence_type", "evaluation")

    def band_rule(self, s: int) -> Inj:
        self._ages(s, "5", "12", "8", "adolescents", "reported_ages", "Ages 5-12 reported.")
        return ("studies", s, "age_band", "age_band.rule", "adolescents")

    def band_tie(self, s: int) -> Inj:
        self._ages(s, "8", "11", "9.5", "children", "reported_ages", "Ages 8-11 reported.")
        return ("studies", s, "age_band", "age_band.tie", "children")

    def band_justification(self, s: int) -> Inj:
        self._ages(s, "NR", "NR", "NR", "children", "inferred", "NR")
        return ("studies", s, "age_band_justification", "age_band.justification", "NR")

    def age_order(self, s: int) -> Inj:
        self._ages(s, "10", "14", "15", "adolescents", "reported_ages", "Ages 10-14 reported.")
        return ("studies", s, "age_mean", "age.order", "15")

    def mean_range(self, s: int) -> Inj:
        self._ages(s, "NR", "NR", "19", "adolescents", "review_table", "Listed in the review's adolescents table.")
        return ("studies", s, "age_mean", "age.mean_range", "19")

    def window(self, s: int) -> Inj:
        for f, v in (("year", "2019"), ("publication_date", "NR")):
            self.set("studies", s, f, v)
        return ("studies", s, "year", "inclusion.window", "2019")

    def ss_in_aims(self, s: int) -> Inj:
        self.set("studies", s, "ss_in_aims", "no")
        return ("studies", s, "ss_in_aims", "inclusion.ss_in_aims", "no")

    def ss_measured(self, s: int) -> Inj:
        self.set("studies", s, "ss_measured", "no")
        return ("studies", s, "ss_measured", "inclusion.ss_measured", "no")

    def mh_outcome(self, s: int) -> Inj:
        self.set("studies", s, "mh_outcome", "none")
        return ("studies", s, "mh_outcome", "inclusion.mh_outcome", "none")

    def english(self, s: int) -> Inj:
        self.set("studies", s, "full_text_english", "no")
        return ("studies", s, "full_text_english", "inclusion.english", "no")

    def exclusion(self, s: int) -> Inj:
        self.set("studies", s, "exclusion_criteria", "extreme_adversity")
        return ("studies", s, "exclusion_criteria", "exclusion.criteria", "extreme_adversity")

    def mmat_category(self, s: int) -> Inj:
        r = self.row("appraisal", s)
        cat = self.get("appraisal", r, "mmat_category")
        if cat == "5":  # a mixed-methods study may answer other categories' criteria: leave one of its own open
            self.set("appraisal", r, "c5_3", "NA")
            return ("appraisal", r, "c5_3", "mmat.category", "NA")
        other = "1" if cat != "1" else "2"
        self.set("appraisal", r, f"c{other}_3", "yes")
        return ("appraisal", r, f"c{other}_3", "mmat.category", "yes")

    def mmat_screening(self, s: int) -> Inj:
        r = self.row("appraisal", s)
        self.set("appraisal", r, "s2", "NA")
        return ("appraisal", r, "s2", "mmat.screening", "NA")

    def effect_text(self, s: int) -> Inj:
        r = self.row("cmo", s, 1)
        self.set("cmo", r, "child_effect", "improved")
        self.set("cmo", r, "child_outcomes", "NR")
        return ("cmo", r, "child_outcomes", "cross.effect_text", "NR")

    def no_cmo(self, s: int) -> Inj:
        start, count = self.ix["cmo"][s]
        self.drop["cmo"].extend(range(int(start), int(start + count)))
        return ("studies", s, None, "cross.cmo", None)

    def no_appraisal(self, s: int) -> Inj:
        self.drop["appraisal"].append(self.row("appraisal", s))
        return ("studies", s, None, "cross.appraisal", None)

    # --- the realist layer: theory-level errors each take theories no other injection touches ---
    def _theories(self) -> pl.DataFrame:
        th = self.f["theories"].with_row_index("_i")
        kids = th.filter(pl.col("refines") != "NA").group_by("refines").agg(pl.col("_i").alias("_kids"))
        return th.join(kids, left_on="theory_id", right_on="refines", how="left")

    def _take(self, *rows: int) -> None:
        self.used_theories.update(rows)

    def lineage_self(self, s: int) -> Inj:
        th = self._theories().filter((pl.col("refines") == "NA") & ~pl.col("_i").is_in(list(self.used_theories)))
        i, tid = th.row(0, named=True)["_i"], th.row(0, named=True)["theory_id"]
        self._take(i)
        self.set("theories", i, "refines", tid)
        return ("theories", i, "refines", "theory.lineage", tid)

    def lineage_cycle(self, s: int) -> Inj:
        used = list(self.used_theories)
        th = self._theories().filter((pl.col("refines") == "NA") & pl.col("_kids").is_not_null()
                                     & ~pl.col("_i").is_in(used))
        for r in th.iter_rows(named=True):
            child = next((c for c in r["_kids"] if c not in self.used_theories), None)
            if child is not None:
                break
        self._take(r["_i"], child)
        self.set("theories", r["_i"], "refines", self.get("theories", child, "theory_id"))
        return ("theories", r["_i"], "refines", "theory.lineage", self.get("theories", child, "theory_id"))

    def status_mismatch(self, s: int) -> Inj:
        th = self._theories().filter((pl.col("status") == "initial") & pl.col("_kids").is_null()
                                     & ~pl.col("_i").is_in(list(self.used_theories)))
        i = th.row(0, named=True)["_i"]
        self._take(i)
        self.set("theories", i, "status", "supported")
        return ("theories", i, "status", "theory.status", "supported")

    def evidence_cmo(self, s: int) -> Inj:
        r = self.row("evidence", s)
        number = str(int(self.ix["cmo"][s][1]) + 1)
        self.set("evidence", r, "cmo_number", number)
        return ("evidence", r, "cmo_number", "evidence.cmo", number)

    def evidence_justification(self, s: int) -> Inj:
        r = self.row("evidence", s)
        if self.get("evidence", r, "judgement") == "illustrates":  # adding a judgement never breaks a status
            self.set("evidence", r, "judgement", "refines")
        self.set("evidence", r, "justification", "NR")
        self.set("evidence", r, "quote", "NR")
        return ("evidence", r, "justification", "evidence.justification", "NR")

    def confidence(self, s: int) -> Inj:
        r = self.row("cmo", s)
        self.set("cmo", r, "confidence", "medium")
        self.set("cmo", r, "confidence_justification", "NR")
        return ("cmo", r, "confidence_justification", "confidence.justification", "NR")


KINDS: list[str] = [
    "type_integer", "type_number", "type_date", "type_boolean", "enum_case", "enum_space", "codes_with_commas",
    "pattern", "required", "blank", "minimum", "unique", "primary", "foreign", "band_rule", "band_tie",
    "band_justification", "age_order", "mean_range", "window", "ss_in_aims", "ss_measured", "mh_outcome", "english",
    "exclusion", "mmat_category", "mmat_screening", "effect_text", "no_cmo", "no_appraisal", "lineage_self",
    "lineage_cycle", "status_mismatch", "evidence_cmo", "evidence_justification", "confidence",
]


def inject(frames: dict[str, pl.DataFrame], index: dict[str, np.ndarray], rng: np.random.Generator,
           k: int) -> list[Inj]:
    """Inject ``k`` errors (cycling through KINDS), each into a different included study, spread over the file."""
    inj = Injector(frames, index, rng)
    studies = frames["studies"]
    ok = np.flatnonzero(studies["inclusion_status"].to_numpy() == "included")
    ok = ok[(ok > 0) & (index["resource_inputs"][ok, 1] > 0)]  # ref_number copy needs a predecessor; number needs one
    if k > len(ok) // 2:
        raise SystemExit(f"--errors {k} is too many for {len(studies)} studies (at most {len(ok) // 2}).")
    # victims not adjacent (unique() copies the predecessor's ref_number), in file order
    cand = ok[ok % 2 == 1] if len(ok[ok % 2 == 1]) >= k else ok
    victims = np.sort(rng.choice(cand, size=k, replace=False))
    order = [KINDS[i % len(KINDS)] for i in range(k)]
    rng.shuffle(order)
    out = []
    for s, kind in zip(victims, order, strict=True):
        out.append(getattr(inj, kind)(int(s)))
    for t, rows in inj.drop.items():
        if rows:
            keep = np.ones(len(frames[t]), dtype=bool)
            keep[rows] = False
            frames[t] = frames[t].filter(pl.Series(keep))
    # row indices after the drops
    fixed = []
    for t, r, f, rule, v in out:
        shift = int(np.searchsorted(np.sort(inj.drop[t]), r)) if inj.drop[t] else 0
        fixed.append((t, r - shift, f, rule, v))
    return fixed


# ---------------------------------------------------------------------------------------------------------------


def physical_lines(df: pl.DataFrame) -> np.ndarray:
    """Physical CSV line of each row (header = line 1), counting the line breaks inside quoted cells."""
    if df.height == 0:
        return np.zeros(0, dtype=np.int64)
    breaks = df.select(
        pl.sum_horizontal([pl.col(c).str.count_matches("\n", literal=True) for c in df.columns]).alias("n")
    )["n"].to_numpy().astype(np.int64)
    return 2 + np.concatenate([[0], np.cumsum(breaks + 1)[:-1]])


def copy_package(out: Path) -> None:
    """Copy the review's descriptor, schemas (with the codebook), validators and queries."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "datapackage.json", out / "datapackage.json")
    for d in ("schema", "validators", "queries"):
        if (ROOT / d).is_dir():
            if (out / d).exists():
                shutil.rmtree(out / d)
            shutil.copytree(ROOT / d, out / d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def copy_other_resources(out: Path) -> None:
    """Resources this generator does not make (e.g. the adjudication log): the bundled file, as it is."""
    for r in json.loads((out / "datapackage.json").read_text(encoding="utf-8"))["resources"]:
        target = out / r["path"]
        if not target.exists() and (ROOT / r["path"]).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / r["path"], target)


def write_prisma(out: Path) -> None:
    """A PRISMA flow whose boxes add up and end at the included studies (the bundled flow ends at 33)."""
    cons = out / "extract" / "consensus"
    if not (cons / "studies.csv").exists() or not (cons / "prisma.csv").exists():
        return
    n = int((pl.read_csv(cons / "studies.csv", columns=["inclusion_status"], infer_schema=False)
             ["inclusion_status"] == "included").sum())
    excluded = n // 2 + 7
    reasons = [excluded // 2, excluded // 3]
    assessed = n + excluded
    sought = assessed + n // 20 + 1
    screened = sought * 10
    duplicates = screened // 4
    register = screened // 50
    counts = {"database_results": screened + duplicates - register, "register_results": register,
              "duplicates": duplicates, "excluded_automatic": 0, "excluded_other": 0, "records_screened": screened,
              "records_excluded": screened - sought, "dbr_sought_reports": sought,
              "dbr_notretrieved_reports": sought - assessed, "dbr_assessed": assessed, "dbr_excluded": excluded,
              "new_studies": n, "new_reports": n}
    why = (f"wrong population, {reasons[0]}; social support not measured, {reasons[1]}; "
           f"no mental health outcome, {excluded - sum(reasons)}")
    rows = [{"data": k, "n": str(v), "reasons": why if k == "dbr_excluded" else "NA", "details": "NR",
             "locator": "NR", "notes": "NA"} for k, v in counts.items()]
    pl.DataFrame(rows).write_csv(cons / "prisma.csv", line_terminator="\n")


def sync_package(out: Path) -> None:
    """Refresh a generated folder's descriptor, schemas, validators and queries from the repository."""
    copy_package(out)
    copy_other_resources(out)
    write_prisma(out)


def make_review(out: Path, studies: int = 1000, seed: int = 1, errors: int = 40) -> dict:
    """Write the synthetic review into ``out``; return the content of ``injected.json``."""
    if studies < 10:
        raise SystemExit("--studies must be at least 10.")
    rng = np.random.default_rng(seed)
    out = Path(out)
    copy_package(out)
    frames, index = build_tables(studies, rng)
    injected = inject(frames, index, rng, errors)
    cons = out / "extract" / "consensus"
    cons.mkdir(parents=True, exist_ok=True)
    lines = {}
    for name, df in frames.items():
        df.write_csv(cons / f"{name}.csv", line_terminator="\n")
        lines[name] = physical_lines(df)
    copy_other_resources(out)
    write_prisma(out)
    errs = [{"resource": t, "line": int(lines[t][r]), "field": f, "rule": rule, "value": v}
            for t, r, f, rule, v in injected]
    errs.sort(key=lambda e: (TABLES.index(e["resource"]), e["line"]))
    info = {"studies": studies, "seed": seed, "rows": {t: frames[t].height for t in TABLES},
            "total_rows": sum(frames[t].height for t in TABLES), "errors": errs}
    (out / "injected.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def generate(out: Path, studies: int = 1000, seed: int = 1, errors: int = 40) -> dict:
    """:func:`make_review` in a process of its own; return the content of ``injected.json``.

    The benchmarks use this, not :func:`make_review`: on Linux a child process starts with its parent's peak
    memory as its own (``ru_maxrss`` carries over ``fork`` and ``exec``), so generating a large review in the
    benchmark's own process would make every command it then measures report at least the generator's peak.
    """
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--studies", str(studies), "--out", str(out),
                    "--seed", str(seed), "--errors", str(errors)], check=True, stdout=subprocess.DEVNULL)
    return json.loads((Path(out) / "injected.json").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--studies", type=int, default=1000, help="number of studies (default 1000)")
    ap.add_argument("--out", required=True, type=Path, help="folder to write (created; its CSVs are overwritten)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--errors", type=int, default=2 * len(KINDS),
                    help=f"number of injected errors (default {2 * len(KINDS)}: each kind twice)")
    a = ap.parse_args(argv)
    t = time.perf_counter()
    info = make_review(a.out, a.studies, a.seed, a.errors)
    size = sum(p.stat().st_size for p in (a.out / "extract" / "consensus").glob("*.csv"))
    print(f"{a.out}: {info['studies']} studies, {info['total_rows']:,} rows ({info['rows']}), "
          f"{size / 1e6:.0f} MB of CSV, {len(info['errors'])} injected errors, {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
