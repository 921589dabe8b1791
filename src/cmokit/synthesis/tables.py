"""The review's characteristics-and-findings tables, regenerated from the database (for the bundled review the
paper's Tables 1-3: one table per age band, rows in the paper's order); and the theory table
(``cmokit tables --theories``).

Everything a table shows comes from the review, not from this module: the ``tables`` entry of the package's
``cmokit`` section (see :func:`cmokit.package.annotations.table_config`) and the schemas' annotations.

- ``grouping``: a studies field; one table per code, in codebook order (default: the field declaring
  ``"cmokit:study": "grouping"``; ``null`` or no such field: one table of every included study);
- ``title``: the title, a template with ``{number}``, ``{code}`` (the group's code), ``{label}`` (its label) and
  ``{label_lower}`` (the label with a lower-case first letter);
- ``study``: the first cell of a row, a template naming studies fields (default: the ``label`` field, or
  study_id, then `` [{reference}]`` when a field declares ``"cmokit:study": "reference"``); ``study_heading`` its
  heading (default ``Study ID``);
- ``columns``: fields of the configuration table (default: its text fields by realist role, ``cmokit:role``
  intervention, context, mechanism, outcome), each headed by its title;
- ``order``: studies fields ordering the rows (default: the reference field), then study_id and the
  configuration's number.

Only included studies are shown (``"cmokit:study": "inclusion"`` and ``included_code``). A study with several
configurations has one row per configuration; a missing cell shows its code (NR, NA). The theory table has one row
per theory: its statement, status, the studies that support, refute, refine or illustrate it and the rigour the
evidence states. Written as files by :mod:`cmokit.presentation.tables`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from cmokit.core.errors import CmokitError
from cmokit.package.annotations import STUDIES, code_labels, included_sql, study_fields, table_config
from cmokit.package.model import Resource, Review
from cmokit.synthesis.database import MISSING_SCHEMA, connect_readonly
from cmokit.synthesis.ddl import q
from cmokit.synthesis.views import configuration_table

ROLE_ORDER = ("intervention", "context", "mechanism", "outcome")
STUDY_HEADING = "Study ID"
GROUPED_TITLE = "Table {number}. Characteristics and findings of the included studies: {label}."
SINGLE_TITLE = "Table {number}. Characteristics and findings of the included studies."
ALL = "all"
THEORY_COLUMNS = ["Theory", "Kind", "Status", "Statement", "Supporting studies", "Refuting studies",
                  "Refining studies", "Illustrating studies", "Rigour"]
JUDGEMENT_COLUMNS = {"supports": 4, "refutes": 5, "refines": 6, "illustrates": 7}


@dataclass
class PaperTable:
    """One regenerated table."""

    number: int
    band: str
    title: str
    columns: list[str]
    rows: list[list[str]]

    stem: str | None = None
    sheet: str | None = None

    @property
    def filename_stem(self) -> str:
        return self.stem or f"table-{self.number}-{self.band}"

    @property
    def sheet_name(self) -> str:
        return self.sheet or f"Table {self.number} {self.band}"


def _config_error(message: str) -> CmokitError:
    return CmokitError(f'datapackage.json, "cmokit" -> "tables": {message}', rule="tables.config")


def paper_columns(review: Review) -> tuple[list[str], list[str]]:
    """(column headings, configuration fields) of the tables: ``tables.columns``, or the configuration table's text
    fields by role (intervention, context, mechanism, outcome), headed by their titles (the field name when a field
    has none)."""
    config = table_config(review)
    res = configuration_table(review)
    if res is None:
        raise CmokitError("the tables need a configuration table (fields with a realist role, cmokit:role "
                          "intervention, context, mechanism or outcome); this review declares none.",
                          rule="tables.unsupported")
    names = config.get("columns")
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _config_error("columns must be a list of field names of the configuration table.")
        unknown = [n for n in names if n not in res.field_names]
        if unknown:
            raise _config_error(f"columns names {', '.join(unknown)}, not fields of {res.name} "
                                f"({', '.join(res.field_names)}).")
        fields = [res.field(n) for n in names]
    else:
        fields = [f for role in ROLE_ORDER for f in res.fields_by_role(role, text=True)]
    if not fields:
        raise CmokitError(f"the tables need text fields of {res.name} with a realist role (cmokit:role intervention, "
                          "context, mechanism or outcome); its schema declares none.", rule="tables.unsupported")
    heading = config.get("study_heading", STUDY_HEADING)
    return [str(heading)] + [f.raw.get("title") or f.name for f in fields], [f.name for f in fields]


def bands(review: Review) -> list[tuple[str, str]]:
    """(code, label) of the groups the tables are split by, in codebook order; [] for one table of every study."""
    config = table_config(review)
    if "grouping" not in config:
        field = study_fields(review).group
    elif config["grouping"] is None:
        return []
    else:
        field = str(config["grouping"])
        if not review.has(STUDIES) or field not in review.resource(STUDIES).field_names:
            raise _config_error(f"grouping names '{field}', which is not a field of {STUDIES}.")
    return code_labels(review, STUDIES, field) if field else []


def _group_field(review: Review) -> str | None:
    config = table_config(review)
    if "grouping" in config:
        return str(config["grouping"]) if config["grouping"] else None
    return study_fields(review).group


def _study_template(review: Review) -> tuple[str, list[str]]:
    """The template of a row's first cell and the studies fields it names."""
    config = table_config(review)
    sf = study_fields(review)
    default = "{" + (sf.label or "study_id") + "}" + (" [{" + sf.reference + "}]" if sf.reference else "")
    template = str(config.get("study", default))
    names = study_template_fields(template)
    known = review.resource(STUDIES).field_names if review.has(STUDIES) else []
    unknown = [n for n in names if n not in known]
    if unknown:
        raise _config_error(f"study names {', '.join(unknown)}, not fields of {STUDIES} (write field names in "
                            "braces, e.g. '{study_id}').")
    return template, names


def study_template_fields(template: str) -> list[str]:
    """The field names a ``{field}`` template uses; CmokitError when it is not a template of plain names."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise _config_error(f"'{template}' is not a template ({exc}); write field names in braces.") from None
    names = []
    for _, name, spec, conv in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conv:
            raise _config_error(f"'{template}': '{{{name}}}' must be a plain field name in braces.")
        if name not in names:
            names.append(name)
    return names


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by ``values[name]``."""
    return template.format_map(values)


def _title(review: Review, number: int, code: str, label: str, grouped: bool) -> str:
    config = table_config(review)
    template = str(config.get("title", GROUPED_TITLE if grouped else SINGLE_TITLE))
    values = {"number": number, "code": code, "label": label, "label_lower": label[:1].lower() + label[1:]}
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError) as exc:
        raise _config_error(f"title '{template}' cannot be filled ({exc}); it may use {{number}}, {{code}}, "
                            "{label} and {label_lower}.") from None


def _order(review: Review, study: Resource) -> list[str]:
    config = table_config(review)
    sf = study_fields(review)
    order = config.get("order", [sf.reference] if sf.reference else [])
    if isinstance(order, str):
        order = [order]
    if not isinstance(order, list) or any(not isinstance(o, str) or o not in study.field_names for o in order):
        raise _config_error(f"order must list fields of {STUDIES} ({', '.join(study.field_names)}).")
    return order


def paper_tables(review: Review, db_path: Path, band: str | None = None) -> list[PaperTable]:
    """The tables (one per group, or one of every included study) from the database; ``band`` selects one group."""
    all_bands = bands(review)
    if band is not None:
        if not all_bands:
            raise CmokitError(f"--band {band}: this review's tables are not split into groups; leave --band out.",
                              rule="usage")
        if band not in [b for b, _ in all_bands]:
            from cmokit.package.annotations import field_title

            what = field_title(review, STUDIES, _group_field(review), "grouping").lower()
            raise CmokitError(f"unknown {what} '{band}' (one of {', '.join(b for b, _ in all_bands)}).",
                              rule="usage")
    if not review.has(STUDIES):
        raise CmokitError("the tables need a studies table.", rule="tables.unsupported")
    columns, fields = paper_columns(review)
    config = configuration_table(review)
    assert config is not None  # paper_columns checked it
    study = review.resource(STUDIES)
    template, names = _study_template(review)
    group = _group_field(review)
    key = [k for k in config.primary_key if k != "study_id"]
    shown = ", ".join(f"coalesce(CAST(s.{q(n)} AS VARCHAR), ms.{q(n)})" for n in names) or "NULL"
    cells = ", ".join(f"coalesce(CAST(c.{q(f)} AS VARCHAR), mc.{q(f)})" for f in fields)
    on = " AND ".join(f"mc.{q(k)} = CAST(c.{q(k)} AS VARCHAR)" for k in config.primary_key)
    where = included_sql(review) + (f" AND CAST(s.{q(group)} AS VARCHAR) = $band" if all_bands else "")
    order = [f"s.{q(o)} NULLS LAST" for o in _order(review, study)] + ["s.study_id"] + [f"c.{q(k)}" for k in key]
    sql = (f"SELECT {shown}, {cells} FROM studies s "
           f"LEFT JOIN {MISSING_SCHEMA}.{q(STUDIES)} ms ON ms.study_id = s.study_id "
           f"LEFT JOIN {q(config.name)} c ON c.study_id = s.study_id "
           f"LEFT JOIN {MISSING_SCHEMA}.{q(config.name)} mc ON {on} "
           f"WHERE {where} ORDER BY {', '.join(order)}")
    import duckdb

    con = connect_readonly(db_path, sandbox=True)
    try:
        out = []
        for n, (code, label) in enumerate(all_bands or [(ALL, "")], 1):
            if band is not None and code != band:
                continue
            try:
                fetched = con.execute(sql, {"band": code} if all_bands else None).fetchall()
            except duckdb.Error as exc:
                raise CmokitError(f"the tables need the {STUDIES} and {config.name} tables with the fields the "
                                  f"configuration names; this database cannot give them "
                                  f"({str(exc).splitlines()[0][:200]}).", rule="tables.unsupported") from None
            rows = []
            for r in fetched:
                values = {name: v if v is not None else "" for name, v in zip(names, r, strict=False)}
                rows.append([fill(template, values)] + [v if v is not None else "" for v in r[len(names) or 1:]])
            out.append(PaperTable(n, code, _title(review, n, code, label, bool(all_bands)), list(columns), rows))
        return out
    finally:
        con.close()


def theory_table(review: Review, db_path: Path) -> PaperTable:
    """One row per theory (by theory_id): its id and label, kind, status and statement, the studies of each judgement
    (as the tables' ``study`` template writes them, one per line) and the rigour stated for the evidence ('[ref]
    rigour' with a reference field, else 'study: rigour'; NR when the theory has evidence but none states its
    rigour, empty when it has none)."""
    import duckdb

    if not review.has("theories") or not review.has("evidence") or not review.has(STUDIES):
        raise CmokitError("this review has no theories, evidence and studies tables, so there is no theory table.",
                          rule="tables.unsupported")
    template, names = _study_template(review)
    reference = study_fields(review).reference
    shown = ", ".join(f"CAST(s.{q(n)} AS VARCHAR)" for n in names) or "NULL"
    ref = f"CAST(s.{q(reference)} AS VARCHAR)" if reference else "NULL"
    by_ref = f"s.{q(reference)} NULLS LAST, " if reference else ""
    con = connect_readonly(db_path, sandbox=True)
    try:
        theories = con.execute("SELECT theory_id, label, CAST(kind AS VARCHAR), CAST(status AS VARCHAR), statement "
                               "FROM theories ORDER BY theory_id").fetchall()
        evidence = con.execute(
            f"SELECT e.theory_id, CAST(e.judgement AS VARCHAR), CAST(e.rigour AS VARCHAR), {ref}, {shown} "
            "FROM evidence e JOIN studies s USING (study_id) "
            f"ORDER BY e.theory_id, {by_ref}e.study_id, e.evidence_number").fetchall()
    except duckdb.Error as exc:
        raise CmokitError(f"the theory table needs the theories, evidence and studies tables with the fields the "
                          f"configuration names; this database cannot give them ({str(exc).splitlines()[0][:200]}).",
                          rule="tables.unsupported") from None
    finally:
        con.close()
    rows = {tid: [f"{label} ({tid})", kind or "", status or "", statement or "", "", "", "", "", ""]
            for tid, label, kind, status, statement in theories}
    linked: set[str] = set()
    for tid, judgement, rigour, number, *values in evidence:
        row = rows.get(tid)
        if row is None or judgement not in JUDGEMENT_COLUMNS:
            continue
        linked.add(tid)
        study = fill(template, {n: v if v is not None else "" for n, v in zip(names, values, strict=False)})
        cell = JUDGEMENT_COLUMNS[judgement]
        if study not in row[cell].split("\n"):
            row[cell] = f"{row[cell]}\n{study}" if row[cell] else study
        if rigour:
            entry = f"[{number}] {rigour}" if reference else f"{study}: {rigour}"
            if entry not in row[8].split("\n"):
                row[8] = f"{row[8]}\n{entry}" if row[8] else entry
    for tid in linked:
        rows[tid][8] = rows[tid][8] or "NR"
    return PaperTable(0, "theories", "Theories and the evidence that tests them: per theory its statement, status, the "
                      "studies that support, refute, refine or illustrate it, and the rigour the evidence states.",
                      list(THEORY_COLUMNS), list(rows.values()), stem="theories", sheet="Theories")
