"""A corpus of broken reviews: each case is a real copy of the bundled review with one mistake a reviewer makes.

Every case asserts, through the command line (``cmokit validate PATH --format json``): the exact set of error rules
reported (nothing missing, nothing extra), the resource, physical CSV line (header = line 1) and field of each
expected error, the exit code (0 valid / 1 invalid / 2 unreadable), no traceback, and that no file in the folder
(or next to it) changed, appeared or disappeared.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmokit.cli import main

CONSENSUS = Path("extract") / "consensus"


# ---------------------------------------------------------------------------------------------------------------
# helpers to edit a copy of the review


def table_path(root: Path, table: str) -> Path:
    return root / ("schema/codebook.csv" if table == "codebook" else CONSENSUS / f"{table}.csv")


def read_table(root: Path, table: str) -> tuple[list[str], list[list[str]]]:
    with open(table_path(root, table), encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_table(root: Path, table: str, header: list[str], rows: list[list[str]], delimiter: str = ",") -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", delimiter=delimiter)
    w.writerow(header)
    w.writerows(rows)
    table_path(root, table).write_text(buf.getvalue(), encoding="utf-8", newline="")


def line_of(root: Path, table: str, where: Callable[[dict[str, str]], bool], nth: int = 0) -> int:
    """Physical line (header = 1) where the ``nth`` row matching ``where`` starts, read with the csv module."""
    with open(table_path(root, table), encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        start = reader.line_num + 1
        for rec in reader:
            if where(dict(zip(header, rec, strict=False))):
                if nth == 0:
                    return start
                nth -= 1
            start = reader.line_num + 1
    raise AssertionError(f"no matching row in {table}")


def first(root: Path, table: str, where: Callable[[dict[str, str]], bool]) -> dict[str, str]:
    header, rows = read_table(root, table)
    for r in rows:
        d = dict(zip(header, r, strict=True))
        if where(d):
            return d
    raise AssertionError(f"no matching row in {table}")


def record_line(root: Path, table: str, index: int) -> int:
    """Physical line (header = 1) where data record ``index`` (0-based) starts, read with the csv module."""
    with open(table_path(root, table), encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        start = reader.line_num + 1
        for i, _ in enumerate(reader):
            if i == index:
                return start
            start = reader.line_num + 1
    raise AssertionError(f"{table} has no record {index}")


def update(root: Path, table: str, where: Callable[[dict[str, str]], bool], **values: str) -> int:
    """Set fields of the first matching row; return its physical line."""
    header, rows = read_table(root, table)
    i = next((k for k, r in enumerate(rows) if where(dict(zip(header, r, strict=True)))), None)
    assert i is not None, f"no matching row in {table}"
    for k, v in values.items():
        rows[i][header.index(k)] = v
    write_table(root, table, header, rows)
    return record_line(root, table, i)


def delete_rows(root: Path, table: str, where: Callable[[dict[str, str]], bool]) -> None:
    header, rows = read_table(root, table)
    kept = [r for r in rows if not where(dict(zip(header, r, strict=True)))]
    assert len(kept) < len(rows)
    write_table(root, table, header, kept)


def edit_json(path: Path, fn: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def edit_schema(root: Path, table: str, fn: Callable[[dict], None]) -> None:
    edit_json(root / "schema" / f"{table}.schema.json", fn)


def edit_resource(root: Path, name: str, **values: str) -> None:
    def fn(d: dict) -> None:
        for r in d["resources"]:
            if r["name"] == name:
                r.update(values)

    edit_json(root / "datapackage.json", fn)


def study(sid: str) -> Callable[[dict[str, str]], bool]:
    return lambda d: d["study_id"] == sid


def band(name: str) -> Callable[[dict[str, str]], bool]:
    return lambda d: d["age_band"] == name and d["age_band_basis"] == "review_table"


def outside(root: Path) -> Path:
    """A folder next to the review, with a valid copy of its CSV files (what an unsafe path would point at)."""
    out = root.parent / "outside"
    if not out.exists():
        shutil.copytree(root / CONSENSUS, out)
    return out


@dataclass(frozen=True)
class E:
    """An expected error: rule, resource, physical line and field (None: not checked, for file-level problems)."""

    rule: str
    resource: str | None = None
    line: int | None = None
    field: str | None = None


CASES: dict[str, tuple[Callable[[Path], list[E]], int]] = {}


def case(exit_code: int) -> Callable:
    def deco(fn: Callable[[Path], list[E]]) -> Callable[[Path], list[E]]:
        CASES[fn.__name__] = (fn, exit_code)
        return fn

    return deco


# ---------------------------------------------------------------------------------------------------------------
# valid variants


@case(0)
def valid_unchanged_copy(root: Path) -> list[E]:
    return []


@case(0)
def valid_bom_and_crlf_from_excel(root: Path) -> list[E]:
    for p in (root / CONSENSUS).glob("*.csv"):
        text = p.read_text(encoding="utf-8")
        p.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    return []


# ---------------------------------------------------------------------------------------------------------------
# unreadable input: exit 2


@case(2)
def descriptor_invalid_json(root: Path) -> list[E]:
    p = root / "datapackage.json"
    p.write_text(p.read_text(encoding="utf-8").replace('"version": "1.0.0",', '"version": "1.0.0"'), encoding="utf-8")
    return [E("descriptor.json")]


@case(2)
def descriptor_missing(root: Path) -> list[E]:
    (root / "datapackage.json").unlink()
    return [E("descriptor.missing")]


@case(2)
def descriptor_resources_not_a_list(root: Path) -> list[E]:
    edit_json(root / "datapackage.json", lambda d: d.update(resources={"studies": "extract/consensus/studies.csv"}))
    return [E("descriptor.resources")]


@case(2)
def schema_file_missing(root: Path) -> list[E]:
    (root / "schema" / "measures.schema.json").unlink()
    return [E("schema.missing")]


@case(2)
def schema_invalid_json(root: Path) -> list[E]:
    p = root / "schema" / "appraisal.schema.json"
    p.write_text(p.read_text(encoding="utf-8").rstrip().rstrip("}"), encoding="utf-8")
    return [E("schema.json")]


@case(2)
def schema_without_fields(root: Path) -> list[E]:
    edit_schema(root, "resource_inputs", lambda s: s.update(fields=[]))
    return [E("schema.invalid")]


@case(2)
def foreign_key_to_unknown_resource(root: Path) -> list[E]:
    edit_schema(root, "cmo", lambda s: s["foreignKeys"][0]["reference"].update(resource="study"))
    return [E("resource.unknown")]


@case(2)
def path_climbs_out_with_dotdot(root: Path) -> list[E]:
    outside(root)
    edit_resource(root, "studies", path="../outside/studies.csv")
    return [E("path.unsafe")]


@case(2)
def path_absolute(root: Path) -> list[E]:
    edit_resource(root, "measures", path=str(outside(root) / "measures.csv"))
    return [E("path.unsafe")]


@case(2)
def path_is_url(root: Path) -> list[E]:
    edit_resource(root, "cmo", path="https://example.org/review/cmo.csv")
    return [E("path.unsafe")]


@case(2)
def symlink_leading_outside(root: Path) -> list[E]:
    target = outside(root) / "measures.csv"
    link = root / CONSENSUS / "measures.csv"
    link.unlink()
    try:
        link.symlink_to(target)
    except OSError:
        pytest.skip("symlinks not supported here")
    return [E("path.unsafe")]


@case(2)
def data_file_missing(root: Path) -> list[E]:
    (root / CONSENSUS / "resource_inputs.csv").unlink()
    return [E("file.missing", "resource_inputs")]


# ---------------------------------------------------------------------------------------------------------------
# files and structure: exit 1


@case(1)
def empty_file(root: Path) -> list[E]:
    (root / CONSENSUS / "resource_inputs.csv").write_bytes(b"")
    return [E("file.empty", "resource_inputs")]


@case(1)
def latin1_file_from_excel(root: Path) -> list[E]:
    line = update(root, "studies", study("cho-2013"), first_author="Chö", study_label="Chö et al (2013)")
    p = table_path(root, "studies")
    p.write_bytes(p.read_text(encoding="utf-8").encode("latin-1"))
    return [E("file.encoding", "studies", line)]


@case(1)
def nul_byte(root: Path) -> list[E]:
    line = update(root, "measures", lambda d: d["measure_number"] == "2", instrument="NR\x00")
    return [E("file.nul", "measures", line)]


@case(1)
def semicolon_csv_from_european_excel(root: Path) -> list[E]:
    header, rows = read_table(root, "appraisal")
    write_table(root, "appraisal", header, rows, delimiter=";")
    return [E("file.delimiter", "appraisal", 1)]


@case(1)
def tab_separated_file(root: Path) -> list[E]:
    header, rows = read_table(root, "resource_inputs")
    write_table(root, "resource_inputs", header, rows, delimiter="\t")
    return [E("file.delimiter", "resource_inputs", 1)]


@case(1)
def missing_column(root: Path) -> list[E]:
    header, rows = read_table(root, "measures")
    i = header.index("respondent")
    write_table(root, "measures", header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows])
    return [E("header.missing", "measures", 1, "respondent")]


@case(1)
def extra_column(root: Path) -> list[E]:
    header, rows = read_table(root, "resource_inputs")
    write_table(root, "resource_inputs", header + ["comments"], [r + ["NA"] for r in rows])
    return [E("header.extra", "resource_inputs", 1, "comments")]


@case(1)
def duplicate_column(root: Path) -> list[E]:
    header, rows = read_table(root, "appraisal")
    write_table(root, "appraisal", header + ["notes"], [r + ["NA"] for r in rows])
    return [E("header.duplicate", "appraisal", 1, "notes")]


@case(1)
def blank_column_name(root: Path) -> list[E]:
    header, rows = read_table(root, "resource_inputs")
    write_table(root, "resource_inputs", header + [""], [r + ["x"] for r in rows])
    return [E("header.blank", "resource_inputs", 1)]


@case(1)
def misnamed_column(root: Path) -> list[E]:
    header, rows = read_table(root, "cmo")
    header[header.index("ss_effect")] = "ss effect"
    write_table(root, "cmo", header, rows)
    return [E("header.missing", "cmo", 1, "ss_effect"), E("header.extra", "cmo", 1, "ss effect")]


@case(1)
def ragged_row(root: Path) -> list[E]:
    header, rows = read_table(root, "measures")
    rows[4] = rows[4] + ["stray cell"]
    write_table(root, "measures", header, rows)
    return [E("row.ragged", "measures", 6)]


# ---------------------------------------------------------------------------------------------------------------
# types and Table Schema constraints


@case(1)
def text_in_integer_field(root: Path) -> list[E]:
    line = update(root, "studies", study("ayton-2016"), paper_table="two")
    return [E("type.integer", "studies", line, "paper_table")]


@case(1)
def number_with_thousands_separator(root: Path) -> list[E]:
    line = update(root, "resource_inputs", lambda d: d["amount_min"] == "10000", amount_min="10,000")
    return [E("type.number", "resource_inputs", line, "amount_min")]


@case(1)
def decimal_comma_age(root: Path) -> list[E]:
    line = update(root, "studies", band("adolescents"), age_min="12", age_max="16", age_mean="13,5",
                  age_band_basis="reported_ages")
    return [E("type.number", "studies", line, "age_mean")]


@case(1)
def date_as_dd_mm_yyyy(root: Path) -> list[E]:
    line = update(root, "studies", lambda d: d["year"] == "2018", publication_date="08/06/2018")
    return [E("type.date", "studies", line, "publication_date")]


@case(1)
def boolean_capitalised(root: Path) -> list[E]:
    line = update(root, "cmo", lambda d: d["adverse_effect"] == "no", adverse_effect="Yes")
    return [E("type.boolean", "cmo", line, "adverse_effect")]


@case(1)
def required_value_not_reported(root: Path) -> list[E]:
    line = update(root, "measures", lambda d: d["measure_number"] == "2", description="NR")
    return [E("constraint.required", "measures", line, "description")]


@case(1)
def blank_cell_in_consensus(root: Path) -> list[E]:
    line = update(root, "cmo", lambda d: d["notes"] == "NA", notes="")
    return [E("extract.blank", "cmo", line, "notes")]


@case(1)
def duplicate_unique_value(root: Path) -> list[E]:
    header, rows = read_table(root, "studies")
    ref = rows[0][header.index("ref_number")]
    rows[5][header.index("ref_number")] = ref
    write_table(root, "studies", header, rows)
    return [E("constraint.unique", "studies", 7, "ref_number")]


@case(1)
def code_with_trailing_space(root: Path) -> list[E]:
    line = update(root, "studies", lambda d: d["income_group"] == "high", income_group="high ")
    return [E("constraint.enum", "studies", line, "income_group")]


@case(1)
def code_in_wrong_case(root: Path) -> list[E]:
    line = update(root, "cmo", lambda d: d["ss_effect"] == "improved", ss_effect="Improved")
    return [E("constraint.enum", "cmo", line, "ss_effect")]


@case(1)
def mmat_answer_capitalised(root: Path) -> list[E]:
    line = update(root, "appraisal", study("ayton-2016"), mmat_category="4", s1="Yes", s2="yes",
                  **{f"c4_{k}": "yes" for k in range(1, 6)})
    return [E("constraint.enum", "appraisal", line, "s1")]


@case(1)
def codes_separated_by_commas(root: Path) -> list[E]:
    # valid codes, wrong separator: the field's pattern fails (a code that is not allowed would be constraint.enum)
    line = update(root, "studies", lambda d: "; " in d["intervention_type"], intervention_type="mentoring, parenting")
    return [E("constraint.pattern", "studies", line, "intervention_type")]


@case(1)
def currency_in_lower_case(root: Path) -> list[E]:
    line = update(root, "resource_inputs", lambda d: d["currency"] == "USD", currency="usd")
    return [E("constraint.pattern", "resource_inputs", line, "currency")]


@case(1)
def negative_age(root: Path) -> list[E]:
    line = update(root, "studies", band("children"), age_min="-1")
    return [E("constraint.minimum", "studies", line, "age_min")]


@case(1)
def number_zero_below_minimum(root: Path) -> list[E]:
    line = update(root, "measures", lambda d: d["measure_number"] == "2", measure_number="0")
    return [E("constraint.minimum", "measures", line, "measure_number")]


@case(1)
def maximum_declared_by_the_review(root: Path) -> list[E]:
    edit_schema(root, "measures", lambda s: s["fields"][1]["constraints"].update(maximum=20))
    line = update(root, "measures", lambda d: d["measure_number"] == "2", measure_number="21")
    return [E("constraint.maximum", "measures", line, "measure_number")]


@case(1)
def text_longer_than_max_length(root: Path) -> list[E]:
    edit_schema(root, "studies", lambda s: s["fields"][3].setdefault("constraints", {}).update(maxLength=30))
    line = update(root, "studies", study("ayton-2016"), first_author="Ayton-Joss-Ayton-Joss-Ayton-Joss-Ayton")
    return [E("constraint.maxLength", "studies", line, "first_author")]


@case(1)
def text_shorter_than_min_length(root: Path) -> list[E]:
    edit_schema(root, "studies", lambda s: s["fields"][2].setdefault("constraints", {}).update(minLength=5))
    line = update(root, "studies", study("ayton-2016"), study_label="A")
    return [E("constraint.minLength", "studies", line, "study_label")]


@case(1)
def duplicate_primary_key(root: Path) -> list[E]:
    sid = first(root, "measures", lambda d: d["measure_number"] == "2")["study_id"]
    line = update(root, "measures", lambda d: d["study_id"] == sid and d["measure_number"] == "2", measure_number="1")
    return [E("key.primary", "measures", line, "measure_number")]


@case(1)
def two_appraisals_by_the_same_reviewer(root: Path) -> list[E]:
    header, rows = read_table(root, "appraisal")
    rows.insert(3, list(rows[2]))
    write_table(root, "appraisal", header, rows)
    return [E("key.primary", "appraisal", 5, "appraiser")]


@case(1)
def orphan_foreign_key(root: Path) -> list[E]:
    line = update(root, "measures", lambda d: d["measure_number"] == "2", study_id="ghost-2015")
    return [E("key.foreign", "measures", line, "study_id")]


@case(1)
def study_id_typo_in_appraisal(root: Path) -> list[E]:
    line = update(root, "appraisal", study("ayton-2016"), study_id="ayton-2061")
    return [E("key.foreign", "appraisal", line, "study_id"),
            E("cross.appraisal", "studies", line_of(root, "studies", study("ayton-2016")), "study_id")]


@case(1)
def codebook_has_a_code_the_schema_lacks(root: Path) -> list[E]:
    header, rows = read_table(root, "codebook")
    i = next(k for k, r in enumerate(rows) if r[:3] == ["studies", "income_group", "low"])
    rows.insert(i + 1, ["studies", "income_group", "upper_middle", "Upper-middle income", "Upper-middle income."])
    write_table(root, "codebook", header, rows)
    return [E("codebook.mismatch", "codebook", i + 3)]


@case(1)
def schema_code_missing_from_codebook(root: Path) -> list[E]:
    edit_schema(root, "studies", lambda s: next(f for f in s["fields"] if f["name"] == "income_group")[
        "constraints"]["enum"].append("upper_middle"))
    return [E("codebook.mismatch")]


# ---------------------------------------------------------------------------------------------------------------
# the review's rules (validators/)


@case(1)
def age_band_wrong_for_ages(root: Path) -> list[E]:
    line = update(root, "studies", band("adolescents"), age_min="5", age_max="12", age_mean="8",
                  age_band_basis="reported_ages")
    return [E("age_band.rule", "studies", line, "age_band")]


@case(1)
def age_band_tie_without_decision(root: Path) -> list[E]:
    line = update(root, "studies", band("children"), age_min="8", age_max="11", age_mean="9.5",
                  age_band_basis="reported_ages")
    return [E("age_band.tie", "studies", line, "age_band_basis")]


@case(0)
def age_band_tie_decided_by_reviewer(root: Path) -> list[E]:
    update(root, "studies", band("children"), age_min="8", age_max="11", age_mean="9.5",
           age_band_basis="reviewer_decision", age_band_decided_by="r1",
           age_band_justification="Ages 8-11 tie between children and adolescents; r1 chose children (study focus).")
    return []


@case(1)
def inferred_band_without_justification(root: Path) -> list[E]:
    line = update(root, "studies", lambda d: d["age_band_basis"] == "inferred", age_band_justification="NR")
    return [E("age_band.justification", "studies", line, "age_band_justification")]


@case(1)
def mean_age_outside_range(root: Path) -> list[E]:
    line = update(root, "studies", band("adolescents"), age_min="10", age_max="14", age_mean="15",
                  age_band_basis="reported_ages")
    return [E("age.order", "studies", line, "age_mean")]


@case(1)
def mean_age_19(root: Path) -> list[E]:
    line = update(root, "studies", band("adolescents"), age_mean="19")
    return [E("age.mean_range", "studies", line, "age_mean")]


@case(1)
def published_2019(root: Path) -> list[E]:
    line = update(root, "studies", study("ayton-2016"), year="2019")
    return [E("inclusion.window", "studies", line, "year")]


@case(1)
def published_after_search_date(root: Path) -> list[E]:
    line = update(root, "studies", lambda d: d["year"] == "2018", publication_date="2018-07-01")
    return [E("inclusion.window", "studies", line, "publication_date")]


@case(1)
def social_support_not_in_aims(root: Path) -> list[E]:
    line = update(root, "studies", study("ayton-2016"), ss_in_aims="no")
    return [E("inclusion.ss_in_aims", "studies", line, "ss_in_aims")]


@case(1)
def social_support_not_measured(root: Path) -> list[E]:
    line = update(root, "studies", study("ayton-2016"), ss_measured="no")
    return [E("inclusion.ss_measured", "studies", line, "ss_measured")]


@case(1)
def no_mental_health_outcome(root: Path) -> list[E]:
    line = update(root, "studies", lambda d: d["mh_outcome"] == "measured", mh_outcome="none")
    return [E("inclusion.mh_outcome", "studies", line, "mh_outcome")]


@case(1)
def infant_predictor_for_adolescents(root: Path) -> list[E]:
    line = update(root, "studies", lambda d: d["mh_outcome"] == "measured" and d["age_band"] == "adolescents",
                  mh_outcome="infant_predictor")
    return [E("inclusion.mh_outcome", "studies", line, "mh_outcome")]


@case(1)
def full_text_not_in_english(root: Path) -> list[E]:
    line = update(root, "studies", study("ayton-2016"), full_text_english="no")
    return [E("inclusion.english", "studies", line, "full_text_english")]


@case(1)
def exclusion_criterion_on_included_study(root: Path) -> list[E]:
    line = update(root, "studies", study("ayton-2016"), exclusion_criteria="extreme_adversity")
    return [E("exclusion.criteria", "studies", line, "exclusion_criteria")]


def _mmat(category: str, **extra: str) -> dict[str, str]:
    d = {f"c{c}_{k}": "NA" for c in range(1, 6) for k in range(1, 6)}
    d.update({f"c{category}_{k}": "yes" for k in range(1, 6)}, mmat_category=category, s1="yes", s2="yes")
    d.update(extra)
    return d


@case(0)
def mmat_complete_and_consistent(root: Path) -> list[E]:
    update(root, "appraisal", study("ayton-2016"), **_mmat("2", c2_3="cant_tell", c2_5="no"))
    return []


@case(1)
def mmat_criterion_of_wrong_category(root: Path) -> list[E]:
    line = update(root, "appraisal", study("ayton-2016"), **_mmat("2", c1_1="yes"))
    return [E("mmat.category", "appraisal", line, "c1_1")]


@case(1)
def mmat_screening_unanswered(root: Path) -> list[E]:
    line = update(root, "appraisal", study("ayton-2016"), **_mmat("3", s2="NA"))
    return [E("mmat.screening", "appraisal", line, "s2")]


@case(1)
def included_study_without_cmo_row(root: Path) -> list[E]:
    delete_rows(root, "cmo", study("stubbs-2016"))
    return [E("cross.cmo", "studies", line_of(root, "studies", study("stubbs-2016")), "study_id")]


@case(1)
def included_study_without_appraisal(root: Path) -> list[E]:
    delete_rows(root, "appraisal", study("mitchell-2015"))
    return [E("cross.appraisal", "studies", line_of(root, "studies", study("mitchell-2015")), "study_id")]


@case(1)
def effect_direction_without_text(root: Path) -> list[E]:
    line = update(root, "cmo", lambda d: d["ss_effect"] == "improved", ss_outcomes="NR")
    return [E("cross.effect_text", "cmo", line, "ss_outcomes")]


@case(1)
def error_deep_in_a_file_with_multiline_cells(root: Path) -> list[E]:
    header, rows = read_table(root, "cmo")
    last = len(rows) - 1
    rows[last][header.index("child_effect")] = "Worse"
    write_table(root, "cmo", header, rows)
    line = record_line(root, "cmo", last)
    assert line > last + 2  # the cells above hold line breaks: physical line, not record number
    return [E("constraint.enum", "cmo", line, "child_effect")]


@case(1)
def utf16_file_from_excel_unicode_text(root: Path) -> list[E]:
    p = table_path(root, "resource_inputs")
    p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16"))
    return [E("file.encoding", "resource_inputs", 1)]


@case(1)
def quote_never_closed(root: Path) -> list[E]:
    header, rows = read_table(root, "measures")
    text = table_path(root, "measures").read_text(encoding="utf-8")
    lines = text.split("\n")
    lines[-3] = lines[-3].replace(",NA", ',"NA', 1)
    table_path(root, "measures").write_text("\n".join(lines), encoding="utf-8")
    return [E("row.quote", "measures", len(lines) - 2)]


@case(1)
def missing_required_column(root: Path) -> list[E]:
    header, rows = read_table(root, "measures")
    i = header.index("construct")
    write_table(root, "measures", header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows])
    return [E("header.missing", "measures", 1, "construct")]


@case(1)
def year_as_excel_float(root: Path) -> list[E]:
    line = update(root, "studies", study("ayton-2016"), year="2016.0")
    return [E("type.integer", "studies", line, "year")]


@case(1)
def impossible_calendar_date(root: Path) -> list[E]:
    line = update(root, "studies", study("ayton-2016"), publication_date="2016-06-31")
    return [E("type.date", "studies", line, "publication_date")]


@case(1)
def amount_with_currency_symbol(root: Path) -> list[E]:
    line = update(root, "resource_inputs", lambda d: d["amount_max"] == "12000", amount_max="$12000")
    return [E("type.number", "resource_inputs", line, "amount_max")]


@case(1)
def unknown_code_in_a_code_list(root: Path) -> list[E]:
    line = update(root, "cmo", lambda d: "; " in d["support_sources"], support_sources="mentor; coach")
    return [E("constraint.enum", "cmo", line, "support_sources")]


@case(1)
def study_row_pasted_twice(root: Path) -> list[E]:
    header, rows = read_table(root, "studies")
    rows.insert(10, list(rows[9]))
    write_table(root, "studies", header, rows)
    return [E("key.primary", "studies", 12, "study_id"), E("constraint.unique", "studies", 12, "ref_number")]


# ---------------------------------------------------------------------------------------------------------------
# the realist layer: theories and evidence


def theory(tid: str) -> Callable[[dict[str, str]], bool]:
    return lambda d: d["theory_id"] == tid


@case(1)
def theory_refines_itself(root: Path) -> list[E]:
    line = update(root, "theories", theory("infants-linkage"), refines="infants-linkage")
    return [E("theory.lineage", "theories", line, "refines")]


@case(1)
def theories_refine_each_other_in_a_cycle(root: Path) -> list[E]:
    # stress-buffering-model <- infants-mechanisms <- infants-discussion-mechanisms, closed into a cycle
    update(root, "theories", theory("stress-buffering-model"), refines="infants-discussion-mechanisms")
    first = min(line_of(root, "theories", theory(t)) for t in ("stress-buffering-model", "infants-mechanisms",
                                                                "infants-discussion-mechanisms"))
    return [E("theory.lineage", "theories", first, "refines")]  # one report for the whole cycle


@case(1)
def theory_refines_an_unknown_theory(root: Path) -> list[E]:
    line = update(root, "theories", theory("resources-cost-evidence"), refines="resources-afordability")
    return [E("key.foreign", "theories", line, "refines")]


@case(1)
def evidence_for_an_unknown_theory(root: Path) -> list[E]:
    line = update(root, "evidence", lambda d: d["theory_id"] == "infants-linkage" and d["study_id"] == "cho-2013",
                  theory_id="infants-linkages")
    return [E("key.foreign", "evidence", line, "theory_id")]


@case(1)
def evidence_from_an_unknown_study(root: Path) -> list[E]:
    line = update(root, "evidence", lambda d: d["study_id"] == "eddy-2017", study_id="eddy-2071")
    return [E("key.foreign", "evidence", line, "study_id")]


@case(1)
def evidence_names_a_configuration_the_study_lacks(root: Path) -> list[E]:
    line = update(root, "evidence", lambda d: d["study_id"] == "doty-2017", cmo_number="2")
    return [E("evidence.cmo", "evidence", line, "cmo_number")]


@case(1)
def unknown_judgement_code(root: Path) -> list[E]:
    line = update(root, "evidence", lambda d: d["theory_id"] == "infants-linkage" and d["study_id"] == "cho-2013",
                  judgement="support")
    return [E("constraint.enum", "evidence", line, "judgement")]


@case(1)
def judgement_without_justification_or_quote(root: Path) -> list[E]:
    line = update(root, "evidence", lambda d: d["judgement"] == "refutes", justification="NR", quote="NR")
    return [E("evidence.justification", "evidence", line, "justification")]


@case(0)
def illustration_needs_no_justification(root: Path) -> list[E]:
    update(root, "evidence", lambda d: d["judgement"] == "illustrates", justification="NR", quote="NR")
    return []


@case(1)
def supported_theory_without_supporting_evidence(root: Path) -> list[E]:
    line = update(root, "theories", theory("children-recreational-activities"), status="supported")
    return [E("theory.status", "theories", line, "status")]


@case(1)
def contested_theory_whose_refutation_was_deleted(root: Path) -> list[E]:
    delete_rows(root, "evidence", lambda d: d["theory_id"] == "infants-support-increase"
                and d["judgement"] == "refutes")
    return [E("theory.status", "theories", line_of(root, "theories", theory("infants-support-increase")), "status")]


@case(1)
def confidence_without_justification(root: Path) -> list[E]:
    line = update(root, "cmo", study("cho-2013"), confidence_justification="NR")
    return [E("confidence.justification", "cmo", line, "confidence_justification")]


def test_a_long_quote_is_a_warning_at_the_configured_length(review_copy: Path) -> None:
    line = update(review_copy, "evidence", lambda d: d["study_id"] == "vandam-2017", quote="word " * 61)
    code, data, _ = run_validate(review_copy)
    assert code == 0, data
    long = [p for p in all_problems(data) if p["rule"] == "quote.length"]
    assert [(p["resource"], p["line"], p["field"], p["severity"]) for p in long] == [
        ("evidence", line, "quote", "warning")]
    assert "61 words, more than 60" in long[0]["message"]
    # the limit is a parameter of the review: 30 words flags the bundled quotes longer than that, and nothing else
    edit_json(review_copy / "datapackage.json", lambda d: d["cmokit"]["realist"].update(quote_max_words=30))
    code, data, _ = run_validate(review_copy)
    flagged = {(p["resource"], p["line"]) for p in all_problems(data) if p["rule"] == "quote.length"}
    expected = set()
    for table in ("cmo", "evidence"):
        header, rows = read_table(review_copy, table)
        expected |= {(table, record_line(review_copy, table, i)) for i, r in enumerate(rows)
                     if len(r[header.index("quote")].split()) > 30}
    assert code == 0 and flagged == expected and len(flagged) > 5


# ---------------------------------------------------------------------------------------------------------------


def run_validate(root: Path) -> tuple[int, dict | None, str]:
    result = CliRunner().invoke(main, ["validate", "-C", str(root), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    out = result.stdout
    try:
        data = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        data = None
    return result.exit_code, data, result.output


def all_problems(data: dict) -> list[dict]:
    probs = list(data.get("errors", []))
    probs += [w for w in data.get("warnings", []) if w not in probs]
    return probs


@pytest.mark.parametrize("name", list(CASES))
def test_broken_review(name: str, review_copy: Path, folder_state: Callable[[Path], dict[str, str]]) -> None:
    mutate, exit_code = CASES[name]
    root = review_copy
    tmp_path = root.parent
    expected = mutate(root)
    before = folder_state(tmp_path)

    code, data, output = run_validate(root)

    assert folder_state(tmp_path) == before, "validation changed files on disk"
    assert "Traceback" not in output
    assert code == exit_code, output[-3000:]
    assert data is not None, f"--format json printed no JSON object: {output[-2000:]}"
    for p in all_problems(data):
        assert set(p) >= {"resource", "path", "line", "field", "value", "rule", "message", "severity"}, p
    errors = [p for p in all_problems(data) if p["severity"] == "error"]
    assert data["valid"] is (exit_code == 0)
    got_rules = sorted({p["rule"] for p in errors})
    assert got_rules == sorted({e.rule for e in expected}), json.dumps(errors, indent=1)[:4000]
    for e in expected:
        hits = [p for p in errors if p["rule"] == e.rule
                and (e.resource is None or p["resource"] == e.resource)
                and (e.line is None or p["line"] == e.line)
                and (e.field is None or p["field"] == e.field)]
        assert hits, f"expected {e}, got {json.dumps([p for p in errors if p['rule'] == e.rule], indent=1)}"
        for p in hits:
            assert p["message"], p
            if e.resource is not None and e.line is not None:
                assert p["path"] and p["path"].endswith(".csv"), p
            if e.rule.startswith(("type.", "constraint.")):
                assert p["value"] is not None, p  # the offending value is named
    assert len(errors) == len(expected), json.dumps(errors, indent=1)[:4000]  # one report per mistake


def test_corpus_covers_every_rule_of_the_issue() -> None:
    rules = {"descriptor.missing", "descriptor.json", "descriptor.resources", "schema.missing", "schema.json",
             "schema.invalid", "resource.unknown", "path.unsafe", "file.missing", "file.empty", "file.encoding",
             "file.nul", "file.delimiter", "header.missing", "header.extra", "header.duplicate", "header.blank",
             "row.ragged", "type.integer", "type.number", "type.date", "type.boolean", "constraint.required",
             "constraint.unique", "constraint.enum", "constraint.pattern", "constraint.minimum", "constraint.maximum",
             "constraint.minLength", "constraint.maxLength", "key.primary", "key.foreign", "extract.blank",
             "codebook.mismatch", "age.order", "age.mean_range", "age_band.rule", "age_band.tie",
             "age_band.justification", "inclusion.ss_in_aims", "inclusion.ss_measured", "inclusion.mh_outcome",
             "inclusion.english", "inclusion.window", "exclusion.criteria", "mmat.category", "mmat.screening",
             "cross.cmo", "cross.appraisal", "cross.effect_text", "theory.lineage", "theory.status", "evidence.cmo",
             "evidence.justification", "confidence.justification"}
    covered: set[str] = set()
    for mutate, _ in CASES.values():  # the rules a case expects are in its source
        covered |= {r for r in rules if f'"{r}"' in inspect.getsource(mutate)}
    assert rules <= covered, sorted(rules - covered)
    assert len([c for c, (_, code) in CASES.items() if code != 0]) >= 30


def test_untrusted_skips_the_review_rules_and_says_so(review_copy: Path,
                                                      folder_state: Callable[[Path], dict[str, str]]) -> None:
    update(review_copy, "studies", study("ayton-2016"), ss_in_aims="no")  # a review rule (validators/)
    update(review_copy, "cmo", lambda d: d["ss_effect"] == "improved", ss_effect="Improved")  # a schema constraint
    before = folder_state(review_copy.parent)
    result = CliRunner().invoke(main, ["validate", "-C", str(review_copy), "--format", "json", "--untrusted"])
    assert folder_state(review_copy.parent) == before
    assert result.exit_code == 1, result.output
    problems = all_problems(json.loads(result.stdout))
    assert {p["rule"] for p in problems if p["severity"] == "error"} == {"constraint.enum"}
    assert [p["rule"] for p in problems if p["severity"] == "warning"].count("rules.skipped") == 1
