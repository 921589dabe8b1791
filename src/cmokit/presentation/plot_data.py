"""What the plots count, read from the review's database: the evidence map, the effects grid and the MMAT 2018
appraisal (every number a picture shows comes from here, so it can be checked apart from the drawing). The theory x
study matrix has its data and drawing in :mod:`cmokit.presentation.theory_map`.

Labels and code order come from the review's codebook, age bands from the descriptor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.package.model import Field, Review
from cmokit.synthesis.database import MISSING_SCHEMA, connect_readonly
from cmokit.synthesis.ddl import q

KINDS = ("evidence-map", "effects", "appraisal", "theories")
BAND_KINDS = ("effects", "appraisal", "theories")

MMAT_ANSWERS = ("yes", "no", "cant_tell")
MMAT_RATINGS = ("low", "moderate", "high")
APPRAISAL_COLUMNS = ("s1", "s2", "c1", "c2", "c3", "c4", "c5", "overall")
APPRAISAL_HEADERS = ("S1", "S2", "C1", "C2", "C3", "C4", "C5", "Overall")


@dataclass
class Grid:
    """Counts in a grid of codes: rows x columns, each a (code, label) in display order."""

    kind: str
    title: str
    rows: list[tuple[str, str]]
    cols: list[tuple[str, str]]
    counts: dict[tuple[str, str], int]
    row_totals: dict[str, int]
    col_totals: dict[str, int]
    n: int
    unit: str
    row_axis: str
    col_axis: str
    notes: list[str] = field(default_factory=list)

    def count(self, row: str, col: str) -> int:
        return self.counts.get((row, col), 0)


@dataclass
class Cell:
    """One appraisal cell: its column (s1 ... c5, overall), the schema field shown, the state and the raw value."""

    column: str
    field: str
    state: str
    value: str


@dataclass
class AppraisalRow:
    """One study (and appraiser) of the traffic-light plot."""

    study_id: str
    label: str
    appraiser: str
    category: str  # the MMAT category code, or the missing-value code
    category_label: str
    cells: list[Cell]


@dataclass
class Appraisal:
    """The traffic-light plot's rows and what they add up to."""

    title: str
    rows: list[AppraisalRow]
    missing_labels: dict[str, str]
    band: str | None = None

    def summary(self) -> tuple[int, int, int, int]:
        """(answered criteria cells, criteria cells, rated appraisals, appraisals)."""
        answers = [c for r in self.rows for c in r.cells if c.column != "overall"]
        rated = [c for r in self.rows for c in r.cells if c.column == "overall" and c.state in MMAT_RATINGS]
        return sum(c.state in MMAT_ANSWERS for c in answers), len(answers), len(rated), len(self.rows)


def code_labels(review: Review, table: str, field_name: str) -> list[tuple[str, str]]:
    """(code, label) of a coded field: codebook order and labels first, then any schema code the codebook lacks."""
    out = [(r["code"], r.get("label") or r["code"]) for r in review.codebook()
           if r.get("table") == table and r.get("field") == field_name]
    known = {c for c, _ in out}
    try:
        codes = review.resource(table).field(field_name).codes() or ()
    except (CmokitError, KeyError):
        codes = ()
    return out + [(c, c) for c in codes if c not in known]


def band_choices(review: Review) -> list[tuple[str, str]]:
    """The review's age bands (code, label), in the descriptor's order."""
    from cmokit.synthesis.tables import bands

    return bands(review)


def check_band(review: Review, band: str | None) -> None:
    """CmokitError (usage) unless ``band`` is None or one of the review's age bands."""
    codes = [c for c, _ in band_choices(review)]
    if band is not None and band not in codes:
        raise CmokitError(f"unknown age band '{band}' (one of {', '.join(codes) or 'none declared'}).", rule="usage")


def _fetch(db_path: Path, sql: str, params: dict | None, what: str) -> list[tuple]:
    import duckdb

    con = connect_readonly(db_path, sandbox=True)
    try:
        return con.execute(sql, params or None).fetchall()
    except duckdb.Error as exc:
        raise CmokitError(f"the {what} needs the bundled review's tables and fields; this database cannot give them "
                          f"({str(exc).strip().splitlines()[0][:200]}).", rule="plot.unsupported") from None
    finally:
        con.close()


def _included(review: Review) -> str:
    return str(review.params.get("included_code") or "included")


def _missing_key(code: str | None) -> str:
    return "(missing:" + (code or "") + ")"


def _missing_label(review: Review, resource: str, code: str | None) -> str:
    if not code:
        return "Not yet extracted"
    labels = review.resource(resource).missing_values if review.has(resource) else {}
    return f"Missing ({code})" if code in labels else f"Invalid value '{code}'"


def evidence_map_data(review: Review, db_path: Path) -> Grid:
    """Included studies by intervention type (rows) and age band (columns); a study with several types counts once
    under each. Studies without a band or a type are counted in ``notes``."""
    rows = _fetch(db_path, "SELECT s.study_id, CAST(s.age_band AS VARCHAR), CAST(s.intervention_type AS VARCHAR[]) "
                           "FROM studies s WHERE CAST(s.inclusion_status AS VARCHAR) = $included ORDER BY s.study_id",
                  {"included": _included(review)}, "evidence map")
    types = code_labels(review, "studies", "intervention_type")
    bands = band_choices(review)
    counts: dict[tuple[str, str], int] = {}
    row_totals: dict[str, int] = {}
    col_totals: dict[str, int] = {}
    unplaced = 0
    band_codes = {c for c, _ in bands}
    for _study, band, codes in rows:
        codes = sorted(set(codes or []))
        if band not in band_codes or not codes:
            unplaced += 1
            continue
        col_totals[band] = col_totals.get(band, 0) + 1
        for code in codes:
            counts[(code, band)] = counts.get((code, band), 0) + 1
            row_totals[code] = row_totals.get(code, 0) + 1
    notes = [f"n = {len(rows)} studies; intervention types as coded from the review's tables.",
             "A study with several intervention types counts once under each; circle area is proportional to the "
             "number of studies."]
    if unplaced:
        one = unplaced == 1
        notes.append(f"{unplaced} stud{'y has' if one else 'ies have'} no age band or no intervention type (a missing "
                     f"value) and {'is' if one else 'are'} not shown.")
    return Grid("evidence-map", "Evidence map: studies by intervention type and age band", types, bands, counts,
                row_totals, col_totals, len(rows), "studies", "Intervention type", "Age band", notes)


def effect_fields(review: Review) -> tuple[Field, Field]:
    """The two coded outcome fields of ``cmo`` (``cmokit:role`` outcome with an enum), in schema order: for the
    bundled review ss_effect (rows of the effects grid) and child_effect (columns)."""
    fields = [f for f in review.resource("cmo").fields_by_role("outcome") if f.enum] if review.has("cmo") else []
    if len(fields) < 2:
        raise CmokitError("the effects grid needs two coded outcome fields in cmo (cmokit:role outcome, with an "
                          "enum); its schema declares fewer.", rule="plot.unsupported")
    return fields[0], fields[1]


def effects_data(review: Review, db_path: Path, band: str | None = None) -> Grid:
    """CMO configurations of included studies by effect on social support (rows) and on the child (columns): the
    first two coded outcome fields of cmo, found by role (:func:`effect_fields`)."""
    check_band(review, band)
    fr, fc = effect_fields(review)
    a, b = q(fr.name), q(fc.name)
    sql = (f"SELECT CAST(c.{a} AS VARCHAR), mc.{a}, CAST(c.{b} AS VARCHAR), mc.{b}, "
           "c.study_id FROM cmo c JOIN studies s USING (study_id) "
           f"LEFT JOIN {MISSING_SCHEMA}.cmo mc "
           "ON mc.study_id = c.study_id AND mc.cmo_number = CAST(c.cmo_number AS VARCHAR) "
           "WHERE CAST(s.inclusion_status AS VARCHAR) = $included "
           "AND ($band IS NULL OR CAST(s.age_band AS VARCHAR) = $band) ORDER BY c.study_id, c.cmo_number")
    fetched = _fetch(db_path, sql, {"included": _included(review), "band": band}, "effects grid")
    rows = code_labels(review, "cmo", fr.name)
    cols = code_labels(review, "cmo", fc.name)
    counts: dict[tuple[str, str], int] = {}
    row_totals: dict[str, int] = {}
    col_totals: dict[str, int] = {}
    extra_rows: dict[str, str] = {}
    extra_cols: dict[str, str] = {}
    for ss, ss_missing, child, child_missing, _study in fetched:
        if ss is None:
            ss = _missing_key(ss_missing)
            extra_rows[ss] = _missing_label(review, "cmo", ss_missing)
        if child is None:
            child = _missing_key(child_missing)
            extra_cols[child] = _missing_label(review, "cmo", child_missing)
        counts[(ss, child)] = counts.get((ss, child), 0) + 1
        row_totals[ss] = row_totals.get(ss, 0) + 1
        col_totals[child] = col_totals.get(child, 0) + 1
    rows += sorted(extra_rows.items())
    cols += sorted(extra_cols.items())
    studies = len({r[4] for r in fetched})
    label = dict(band_choices(review)).get(band or "", "")
    scope = f"of {label[:1].lower()}{label[1:]}" if band else "(all age bands)"
    notes = [f"n = {len(fetched)} CMO configurations from {studies} studies {scope}; codes and labels from the "
             "review's codebook.",
             "Each configuration counts once, in the cell of its coded effect on social support and on the child."]
    title = "Effects on social support and on the child" + (f": {label}" if band else "")
    return Grid("effects", title, rows, cols, counts, row_totals, col_totals, len(fetched), "CMO configurations",
                fr.raw.get("title") or fr.name, fc.raw.get("title") or fc.name, notes)


def _criteria_fields(category: str | None) -> list[str]:
    return [f"c{category}_{j}" for j in range(1, 6)] if category else []


def appraisal_data(review: Review, db_path: Path, band: str | None = None) -> Appraisal:
    """One row per included study and appraiser (a study without an appraisal gets a row of blank cells): S1, S2,
    the five criteria of the study's MMAT category, and the overall rating, each with its state."""
    check_band(review, band)
    answer_fields = ["mmat_category", "s1", "s2"] + [f"c{k}_{j}" for k in range(1, 6) for j in range(1, 6)] + [
        "overall_rating"]
    typed = ", ".join(f"CAST(a.{f} AS VARCHAR)" for f in answer_fields)
    shadow = ", ".join(f"m.{f}" for f in answer_fields)
    sql = (f"SELECT s.study_id, s.study_label, a.appraiser, a.study_id IS NOT NULL, {typed}, {shadow} "
           f"FROM studies s LEFT JOIN appraisal a USING (study_id) "
           f"LEFT JOIN {MISSING_SCHEMA}.appraisal m ON m.study_id = a.study_id AND m.appraiser = a.appraiser "
           "WHERE CAST(s.inclusion_status AS VARCHAR) = $included "
           "AND ($band IS NULL OR CAST(s.age_band AS VARCHAR) = $band) ORDER BY s.study_id, a.appraiser")
    fetched = _fetch(db_path, sql, {"included": _included(review), "band": band}, "appraisal plot")
    declared = review.resource("appraisal").missing_values if review.has("appraisal") else {}
    categories = dict(code_labels(review, "appraisal", "mmat_category"))
    k = len(answer_fields)
    per_study: dict[str, int] = {}
    for r in fetched:
        per_study[r[0]] = per_study.get(r[0], 0) + 1
    out = []
    for r in fetched:
        study_id, label, appraiser, appraised = r[0], r[1] or r[0], r[2] or "", r[3]
        values = dict(zip(answer_fields, r[4:4 + k], strict=True))
        missing = dict(zip(answer_fields, r[4 + k:], strict=True))

        def state(name: str, allowed: tuple[str, ...], values=values, missing=missing, appraised=appraised) -> Cell:
            value = values.get(name)
            if value is not None:
                return Cell("", name, value if value in allowed else "invalid", value)
            code = missing.get(name) if appraised else ""
            if not code:
                return Cell("", name, "blank", "")
            if code in ("NR", "NA"):
                return Cell("", name, code, code)
            return Cell("", name, "NR" if code in declared else "invalid", code)

        category_cell = state("mmat_category", tuple(categories) or ("1", "2", "3", "4", "5"))
        category = category_cell.value if category_cell.state not in ("NR", "NA", "blank", "invalid") else None
        cells = [state("s1", MMAT_ANSWERS), state("s2", MMAT_ANSWERS)]
        if category:
            cells += [state(f, MMAT_ANSWERS) for f in _criteria_fields(category)]
        else:  # the criteria belong to a category: without one they are as missing as the category is
            cells += [Cell("", "mmat_category", category_cell.state, category_cell.value) for _ in range(5)]
        cells.append(state("overall_rating", MMAT_RATINGS))
        for column, cell in zip(APPRAISAL_COLUMNS, cells, strict=True):
            cell.column = column
        shown = label if per_study[study_id] == 1 or not appraiser else f"{label} ({appraiser})"
        cat_label = (f"{category} {categories.get(category, '')}".strip() if category
                     else (category_cell.value or "not yet extracted"))
        out.append(AppraisalRow(study_id, shown, appraiser, category or category_cell.value, cat_label, cells))
    label = dict(band_choices(review)).get(band or "", "")
    title = "MMAT 2018 appraisal (traffic-light plot)" + (f": {label}" if band else "")
    return Appraisal(title, out, dict(declared), band)
