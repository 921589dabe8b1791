"""What the engine needs to know about a review's studies, found by annotation, never by field name.

A field of the ``studies`` table may declare ``"cmokit:study"``, saying what it is to the engine:

- ``label``: how a study is shown in tables, plots and the report (default: its ``study_id``);
- ``reference``: its number in the review's reference list, shown as ``[n]`` and used to order studies;
- ``grouping``: a coded field whose codes group the studies (one table per group, plot and report columns by
  group, ``--band``);
- ``inclusion``: a coded field saying whether a study is included; a study is included when it holds the code the
  ``cmokit`` section names as ``included_code`` (without one, every study counts as included);
- ``intervention``: a coded field of the kinds of intervention: the rows of the evidence map.

The first field declaring a part is the one used. The package's ``cmokit`` section holds the rest of the
configuration (``tables``, ``views``, the rules' parameters); :func:`table_config` reads its ``tables`` entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from cmokit.core.errors import CmokitError
from cmokit.package.model import Field, Resource, Review
from cmokit.package.spec import STUDY_PARTS

STUDIES = "studies"


@dataclass(frozen=True)
class StudyFields:
    """The studies fields that play each part (None when the review declares none)."""

    label: str | None = None
    reference: str | None = None
    group: str | None = None
    inclusion: str | None = None
    intervention: str | None = None

    @property
    def identity(self) -> list[str]:
        """The columns that identify a study in the documented views: study_id, then reference, label, group."""
        return ["study_id"] + [f for f in (self.reference, self.label, self.group) if f]


def study_part(f: Field) -> str | None:
    """The part a field declares (``cmokit:study``), or None."""
    part = f.raw.get("cmokit:study")
    return str(part) if part is not None else None


def studies_resource(review: Review) -> Resource | None:
    return review.resource(STUDIES) if review.has(STUDIES) else None


def study_fields(review: Review) -> StudyFields:
    """Which studies field is the label, the reference number, the group, the inclusion status, the intervention
    type (first field declaring each part)."""
    res = studies_resource(review)
    found: dict[str, str] = {}
    for f in res.fields if res else []:
        part = study_part(f)
        if part in STUDY_PARTS and part not in found:
            found[part] = f.name
    return StudyFields(found.get("label"), found.get("reference"), found.get("grouping"), found.get("inclusion"),
                       found.get("intervention"))


def quote_name(name: str) -> str:
    """A SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def included_code(review: Review) -> str | None:
    """The code of the inclusion field that marks an included study (``cmokit.included_code``), or None."""
    code = review.params.get("included_code")
    return str(code) if code is not None and study_fields(review).inclusion else None


def included_sql(review: Review, alias: str = "s") -> str:
    """A SQL condition true for the included studies (``alias`` is the studies table's alias): ``TRUE`` when the
    review declares no inclusion field or no included code."""
    field, code = study_fields(review).inclusion, included_code(review)
    if field is None or code is None:
        return "TRUE"
    return f"CAST({alias}.{quote_name(field)} AS VARCHAR) = {quote_text(code)}"


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


def groups(review: Review) -> list[tuple[str, str]]:
    """(code, label) of the groups of studies (the codes of the ``group`` field, in codebook order), or []."""
    field = study_fields(review).group
    if field and review.resource(STUDIES).field(field).multiple:
        raise CmokitError(f"studies.{field} declares \"cmokit:study\": \"grouping\" but holds several codes per "
                          "study; a grouping field holds one code per study.", rule="schema.invalid")
    return code_labels(review, STUDIES, field) if field else []


def field_title(review: Review, table: str, name: str | None, default: str = "") -> str:
    """A field's title (its name when it has none); ``default`` when there is no such field."""
    if not name or not review.has(table) or name not in review.resource(table).field_names:
        return default
    f = review.resource(table).field(name)
    return str(f.raw.get("title") or f.name)


def check_group(review: Review, group: str | None) -> None:
    """CmokitError (usage) unless ``group`` is None or a code of the review's grouping field."""
    if group is None:
        return
    codes = [c for c, _ in groups(review)]
    if not codes:
        raise CmokitError(f"--band {group}: this review does not group its studies (no studies field declares "
                          '"cmokit:study": "grouping"); leave --band out.', rule="usage")
    if group not in codes:
        what = field_title(review, STUDIES, study_fields(review).group).lower()
        raise CmokitError(f"unknown {what} '{group}' (one of {', '.join(codes)}).", rule="usage")


def table_config(review: Review) -> dict:
    """The ``tables`` entry of the ``cmokit`` section (an empty dict when absent); CmokitError when it is not an
    object."""
    config = review.params.get("tables") or {}
    if not isinstance(config, dict):
        raise CmokitError('datapackage.json: "cmokit" -> "tables" must be an object (title, study, study_heading, '
                          "columns, order, grouping).", rule="tables.config")
    return config
