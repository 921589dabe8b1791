"""What the plots count, read from the review's database: the evidence map, the effects grid and the MMAT 2018
appraisal (every number a picture shows comes from here, so it can be checked apart from the drawing). The theory x
study matrix has its data and drawing in :mod:`cmokit.presentation.theory_map`.

Labels and code order come from the review's codebook. The fields come from the schemas' annotations, never from
one review's names: the groups of studies (columns, ``--band``), their label and inclusion are the studies fields
declaring ``"cmokit:study"`` (:mod:`cmokit.package.annotations`), the evidence map's rows the field declaring
``"cmokit:study": "intervention"``, the effects grid's axes the coded outcome fields of the configuration table
(``cmokit:role`` outcome). The appraisal plot reads the MMAT 2018 fields of the appraisal table (the template's
names: ``mmat_category``, ``s1``, ``s2``, ``c1_1`` ... ``c5_5``, ``overall_rating``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.package import annotations
from cmokit.package.annotations import STUDIES, field_title, included_sql, study_fields
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
    return annotations.code_labels(review, table, field_name)


def band_choices(review: Review) -> list[tuple[str, str]]:
    """The groups of studies (code, label), in codebook order; [] when the review does not group its studies."""
    return annotations.groups(review)


def check_band(review: Review, band: str | None) -> None:
    """CmokitError (usage) unless ``band`` is None or one of the review's groups."""
    annotations.check_group(review, band)


def _every_group(review: Review) -> str:
    """'(all age bands)': every group, named after the grouping field's title ("(all ...s)"; '' without groups)."""
    group = study_fields(review).group
    return f"(all {field_title(review, STUDIES, group).lower()}s)" if group else ""


def _group_sql(review: Review, alias: str = "s") -> str:
    """The studies' group as text (NULL when the review does not group its studies)."""
    group = study_fields(review).group
    return f"CAST({alias}.{q(group)} AS VARCHAR)" if group else "CAST(NULL AS VARCHAR)"


def _label_sql(review: Review, alias: str = "s") -> str:
    label = study_fields(review).label
    return f"CAST({alias}.{q(label)} AS VARCHAR)" if label else f"{alias}.study_id"


def _fetch(db_path: Path, sql: str, params: dict | None, what: str) -> list[tuple]:
    import duckdb

    con = connect_readonly(db_path, sandbox=True)
    try:
        return con.execute(sql, params or None).fetchall()
    except duckdb.Error as exc:
        raise CmokitError(f"the {what} needs tables and fields this database does not have; it cannot give them "
                          f"({str(exc).strip().splitlines()[0][:200]}).", rule="plot.unsupported") from None
    finally:
        con.close()


def _missing_key(code: str | None) -> str:
    return "(missing:" + (code or "") + ")"


def _missing_label(review: Review, resource: str, code: str | None) -> str:
    if not code:
        return "Not yet extracted"
    labels = review.resource(resource).missing_values if review.has(resource) else {}
    return f"Missing ({code})" if code in labels else f"Invalid value '{code}'"


def evidence_map_data(review: Review, db_path: Path) -> Grid:
    """Included studies by intervention type (rows: the studies field declaring ``"cmokit:study":
    "intervention"``) and group (columns); a study with several types counts once under each. Studies without
    a group or a type are counted in ``notes``."""
    sf = study_fields(review)
    if sf.intervention is None or sf.group is None:
        raise CmokitError('the evidence map needs two coded studies fields: one declaring "cmokit:study": '
                          '"intervention" (the rows) and one declaring "cmokit:study": "grouping" (the columns); '
                          "this review declares "
                          + (" and ".join(p for p, f in (("no intervention field", sf.intervention),
                                                         ("no grouping field", sf.group)) if f is None)) + ".",
                          rule="plot.unsupported")
    f = review.resource(STUDIES).field(sf.intervention)
    kind = "VARCHAR[]" if f.multiple else "VARCHAR"
    rows = _fetch(db_path, f"SELECT s.study_id, {_group_sql(review)}, CAST(s.{q(f.name)} AS {kind}) "
                           f"FROM studies s WHERE {included_sql(review)} ORDER BY s.study_id", None, "evidence map")
    types = code_labels(review, STUDIES, f.name)
    bands = band_choices(review)
    counts: dict[tuple[str, str], int] = {}
    row_totals: dict[str, int] = {}
    col_totals: dict[str, int] = {}
    unplaced = 0
    band_codes = {c for c, _ in bands}
    row_title = field_title(review, STUDIES, f.name)
    col_title = field_title(review, STUDIES, sf.group)
    for _study, band, codes in rows:
        codes = sorted(set(codes or [])) if f.multiple else ([codes] if codes is not None else [])
        if band not in band_codes or not codes:
            unplaced += 1
            continue
        col_totals[band] = col_totals.get(band, 0) + 1
        for code in codes:
            counts[(code, band)] = counts.get((code, band), 0) + 1
            row_totals[code] = row_totals.get(code, 0) + 1
    notes = [f"n = {len(rows)} studies; {row_title.lower()} as coded in the review.",
             f"A study with several codes of {row_title.lower()} counts once under each; circle area is proportional "
             "to the number of studies."]
    if unplaced:
        one = unplaced == 1
        notes.append(f"{unplaced} stud{'y has' if one else 'ies have'} no {col_title.lower()} or no "
                     f"{row_title.lower()} (a missing value) and {'is' if one else 'are'} not shown.")
    return Grid("evidence-map", f"Evidence map: studies by {row_title.lower()} and {col_title.lower()}", types, bands,
                counts, row_totals, col_totals, len(rows), "studies", row_title, col_title, notes)


def effect_fields(review: Review) -> tuple[Field, Field]:
    """The first two coded outcome fields of the configuration table (``cmokit:role`` outcome with an enum), in
    schema order: the rows and the columns of the effects grid."""
    from cmokit.synthesis.views import configuration_table

    config = configuration_table(review)
    fields = [f for f in config.fields_by_role("outcome") if f.enum] if config is not None else []
    if len(fields) < 2:
        raise CmokitError("the effects grid needs two coded outcome fields in the configuration table (cmokit:role "
                          "outcome, with an enum); its schema declares fewer.", rule="plot.unsupported")
    return fields[0], fields[1]


def effects_data(review: Review, db_path: Path, band: str | None = None) -> Grid:
    """CMO configurations of included studies by the first coded outcome (rows) and the second (columns), found by
    role (:func:`effect_fields`): for the bundled review the effect on social support and on the child's mental
    health."""
    from cmokit.synthesis.views import configuration_table

    check_band(review, band)
    fr, fc = effect_fields(review)
    config = configuration_table(review)
    assert config is not None
    table = config.name
    a, b = q(fr.name), q(fc.name)
    on = " AND ".join(f"mc.{q(k)} = CAST(c.{q(k)} AS VARCHAR)" for k in config.primary_key)
    order = ", ".join(f"c.{q(k)}" for k in config.primary_key) or "c.study_id"
    sql = (f"SELECT CAST(c.{a} AS VARCHAR), mc.{a}, CAST(c.{b} AS VARCHAR), mc.{b}, "
           f"c.study_id FROM {q(table)} c JOIN studies s USING (study_id) "
           f"LEFT JOIN {MISSING_SCHEMA}.{q(table)} mc ON {on} "
           f"WHERE {included_sql(review)} "
           f"AND ($band IS NULL OR {_group_sql(review)} = $band) ORDER BY {order}")
    fetched = _fetch(db_path, sql, {"band": band}, "effects grid")
    rows = code_labels(review, table, fr.name)
    cols = code_labels(review, table, fc.name)
    row_title, col_title = str(fr.raw.get("title") or fr.name), str(fc.raw.get("title") or fc.name)
    counts: dict[tuple[str, str], int] = {}
    row_totals: dict[str, int] = {}
    col_totals: dict[str, int] = {}
    extra_rows: dict[str, str] = {}
    extra_cols: dict[str, str] = {}
    for ss, ss_missing, child, child_missing, _study in fetched:
        if ss is None:
            ss = _missing_key(ss_missing)
            extra_rows[ss] = _missing_label(review, table, ss_missing)
        if child is None:
            child = _missing_key(child_missing)
            extra_cols[child] = _missing_label(review, table, child_missing)
        counts[(ss, child)] = counts.get((ss, child), 0) + 1
        row_totals[ss] = row_totals.get(ss, 0) + 1
        col_totals[child] = col_totals.get(child, 0) + 1
    rows += sorted(extra_rows.items())
    cols += sorted(extra_cols.items())
    studies = len({r[4] for r in fetched})
    label = dict(band_choices(review)).get(band or "", "")
    scope = f"of {label[:1].lower()}{label[1:]}" if band else _every_group(review)
    notes = [f"n = {len(fetched)} CMO configurations from {studies} studies {scope}; codes and labels from the "
             "review's codebook.",
             f"Each configuration counts once, in the cell of its two coded outcomes ({row_title.lower()}; "
             f"{col_title.lower()})."]
    title = f"Coded outcomes: {row_title.lower()} by {col_title.lower()}" + (f": {label}" if band else "")
    return Grid("effects", title, rows, cols, counts, row_totals, col_totals, len(fetched), "CMO configurations",
                row_title, col_title, notes)


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
    sql = (f"SELECT s.study_id, {_label_sql(review)}, a.appraiser, a.study_id IS NOT NULL, {typed}, {shadow} "
           f"FROM studies s LEFT JOIN appraisal a USING (study_id) "
           f"LEFT JOIN {MISSING_SCHEMA}.appraisal m ON m.study_id = a.study_id AND m.appraiser = a.appraiser "
           f"WHERE {included_sql(review)} "
           f"AND ($band IS NULL OR {_group_sql(review)} = $band) ORDER BY s.study_id, a.appraiser")
    fetched = _fetch(db_path, sql, {"band": band}, "appraisal plot")
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
