"""Configuration, not code: the engine takes a review's study fields from annotations (``cmokit:study``), its tables
from the ``cmokit`` section, and the rules not every realist review follows run only when configured."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_review

from cmokit.cli import main
from cmokit.package.model import Review
from cmokit.synthesis.build import build
from cmokit.synthesis.tables import paper_tables, theory_table
from cmokit.validation.validate import validate_review

STUDIES = ("study_id,study_label,first_author,year,publication_date,title,inclusion_status,evidence_type,country,"
           "sources,notes\n"
           "abel-2019,Abel et al (2019),Abel,2019,NR,NR,included,evaluation,NR,Report,NA\n"
           "baker-2020,Baker (2020),Baker,2020,NR,NR,excluded,protocol,NR,Report,NA\n"
           "cole-2030,Cole et al (2030),Cole,2030,NR,NR,included,evaluation,NR,Report,NA\n")
CMO = ("study_id,cmo_number,intervention_components,context,mechanisms,outcomes,stance,locator,quote,confidence,"
       "confidence_justification,notes\n"
       "abel-2019,1,Mentoring,Schools,Trust in a mentor,Fewer absences,both,p. 3,NR,NR,NA,NA\n"
       "baker-2020,1,Peer groups,Clinics,Belonging,NR,hypothesised,p. 2,NR,NR,NA,NA\n"
       "cole-2030,1,Home visits,Homes,Parents' confidence,Better sleep,observed,p. 7,NR,NR,NA,NA\n"
       "cole-2030,2,Home visits,Rural homes,Less isolation,NR,hypothesised,p. 8,NR,NR,NA,NA\n")


@pytest.fixture
def small(tmp_path) -> Path:
    """A new review (cmokit init) with three studies, one of them excluded."""
    root = tmp_path / "small"
    assert CliRunner().invoke(main, ["init", str(root), "--title", "Small"]).exit_code == 0
    (root / "extract/consensus/studies.csv").write_text(STUDIES, encoding="utf-8")
    (root / "extract/consensus/cmo.csv").write_text(CMO, encoding="utf-8")
    return root


def configure(root: Path, **params) -> None:
    p = root / "datapackage.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d["cmokit"].update(params)
    p.write_text(json.dumps(d, indent=2), encoding="utf-8")


def rules(root: Path) -> list[tuple[str, str, int | None]]:
    return [(p.rule, p.field, p.line) for p in validate_review(root).errors]


def test_a_new_review_has_one_table_of_its_included_studies(built):
    root, db = built
    assert rules(root) == []
    (table,) = paper_tables(Review.open(root), db)
    assert table.title == "Table 1. Characteristics and findings of the included studies."
    assert table.columns == ["Study ID", "Intervention components", "Context", "Mechanisms", "Outcomes"]
    assert table.rows == [["Abel et al (2019)", "Mentoring", "Schools", "Trust in a mentor", "Fewer absences"],
                          ["Cole et al (2030)", "Home visits", "Homes", "Parents' confidence", "Better sleep"],
                          ["Cole et al (2030)", "Home visits", "Rural homes", "Less isolation", "NR"]]
    res = CliRunner().invoke(main, ["tables", "-C", str(root), "--db", str(db), "--band", "x"])
    assert res.exit_code == 2 and "not split into groups" in res.stderr


def test_without_an_included_code_every_study_counts(small, tmp_path):
    d = json.loads((small / "datapackage.json").read_text(encoding="utf-8"))
    del d["cmokit"]["included_code"]
    (small / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    build(small, tmp_path / "db.duckdb")
    (table,) = paper_tables(Review.open(small), tmp_path / "db.duckdb")
    assert [r[0] for r in table.rows] == ["Abel et al (2019)", "Baker (2020)", "Cole et al (2030)", "Cole et al (2030)"]


def test_the_tables_take_grouping_title_study_columns_and_order_from_configuration(small, tmp_path):
    res = CliRunner().invoke(main, ["add-field", "-C", str(small), "studies", "setting", "--type", "string",
                                    "--codes", "school,home", "--role", "grouping", "--title", "Setting",
                                    "--fill", "NR"])
    assert res.exit_code == 0, res.output
    text = (small / "extract/consensus/studies.csv").read_text(encoding="utf-8")
    (small / "extract/consensus/studies.csv").write_text(
        text.replace("Report,NA,NR\nbaker", "Report,NA,school\nbaker").replace("Report,NA,NR\n", "Report,NA,home\n"),
        encoding="utf-8")
    configure(small, tables={"title": "Table {number} ({code}). Studies in the {label_lower}.",
                             "study": "{first_author} {year}", "study_heading": "Study",
                             "columns": ["mechanisms", "context"], "order": ["year"]})
    book = small / "schema/codebook.csv"
    text = book.read_text(encoding="utf-8")
    book.write_text(text.replace("studies,setting,home,home,", "studies,setting,home,Home,"), encoding="utf-8")
    build(small, tmp_path / "db.duckdb")
    tables = paper_tables(Review.open(small), tmp_path / "db.duckdb")
    assert [(t.number, t.band, t.title) for t in tables] == [(1, "school", "Table 1 (school). Studies in the school."),
                                                             (2, "home", "Table 2 (home). Studies in the home.")]
    assert tables[0].columns == ["Study", "Mechanisms", "Context"]
    assert tables[0].rows == [["Abel 2019", "Trust in a mentor", "Schools"]]
    assert tables[1].rows == [["Cole 2030", "Parents' confidence", "Homes"], ["Cole 2030", "Less isolation",
                                                                             "Rural homes"]]
    res = CliRunner().invoke(main, ["tables", "-C", str(small), "--db", str(tmp_path / "db.duckdb"), "-b", "home",
                                    "-f", "csv"])
    assert res.exit_code == 0 and list(csv.reader(io.StringIO(res.stdout)))[0] == ["Study", "Mechanisms", "Context"]
    res = CliRunner().invoke(main, ["tables", "-C", str(small), "--db", str(tmp_path / "db.duckdb"), "-b", "park"])
    assert res.exit_code == 2 and "unknown setting 'park' (one of school, home)" in res.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The small review, built once (for tests that only read the database)."""
    root = tmp_path_factory.mktemp("built") / "small"
    assert CliRunner().invoke(main, ["init", str(root), "--title", "Small"]).exit_code == 0
    (root / "extract/consensus/studies.csv").write_text(STUDIES, encoding="utf-8")
    (root / "extract/consensus/cmo.csv").write_text(CMO, encoding="utf-8")
    build(root, root / "db.duckdb")
    return root, root / "db.duckdb"


@pytest.mark.parametrize("tables, message", [
    ({"columns": ["nothing"]}, "columns names nothing, not fields of cmo"),
    ({"study": "{nothing}"}, "study names nothing, not fields of studies"),
    ({"study": "{study_id!r}"}, "must be a plain field name"),
    ({"title": "Table {n}"}, "cannot be filled"),
    ({"order": ["nothing"]}, "order must list fields of studies"),
    ({"grouping": "nothing"}, "grouping names 'nothing'"),
    ("Table 1", "must be an object"),
])
def test_a_bad_table_configuration_is_a_clear_error(built, tables, message):
    from cmokit.core.errors import CmokitError

    root, db = built
    review = Review.open(root)
    review.descriptor["cmokit"]["tables"] = tables
    with pytest.raises(CmokitError, match="tables") as err:
        paper_tables(review, db)
    assert message in err.value.message and err.value.exit_code == 2


def test_a_bad_table_configuration_on_the_command_line(small, tmp_path):
    configure(small, tables={"columns": ["nothing"]})
    res = CliRunner().invoke(main, ["tables", "-C", str(small), "--db", str(tmp_path / "db.duckdb")])
    assert res.exit_code == 2 and "columns names nothing" in res.stderr and "Traceback" not in res.output


def test_rules_not_every_review_follows_run_only_when_configured(small):
    assert rules(small) == []  # cole-2030 is "published" in 2030 and has no appraisal: no rule says otherwise
    configure(small, search_window={"start": "2010-01-01", "end": "2025-12-31"}, require_appraisal=True)
    assert sorted(rules(small)) == [("cross.appraisal", "study_id", 2), ("cross.appraisal", "study_id", 4),
                                    ("inclusion.window", "year", 4)]
    assert CliRunner().invoke(main, ["add-field", "-C", str(small), "studies", "english", "--type", "boolean",
                                     "--fill", "false"]).exit_code == 0
    configure(small, search_window=None, require_appraisal=False,
              inclusion_criteria=[{"rule": "inclusion.english", "field": "english", "means": "English full text",
                                   "no": "false"}])
    found = validate_review(small).errors  # baker-2020 (line 3) is excluded
    assert [(p.rule, p.line) for p in found] == [("inclusion.english", 2), ("inclusion.english", 4)]
    assert found[0].message == ("an included study must have English full text, but english is 'false'. Correct "
                                "english, or set inclusion_status to excluded.")


def test_age_rules_need_their_fields_and_say_so(small):
    for name in ("age_min", "age_max", "age_mean"):
        assert CliRunner().invoke(main, ["add-field", "-C", str(small), "studies", name, "--type", "number",
                                         "--fill", "NR"]).exit_code == 0
    text = (small / "extract/consensus/studies.csv").read_text(encoding="utf-8")
    (small / "extract/consensus/studies.csv").write_text(text.replace("Report,NA,NR,NR,NR\nbaker",
                                                                      "Report,NA,12,19,25\nbaker"), encoding="utf-8")
    assert rules(small) == []
    configure(small, mean_age={"min": 0, "max": 18})
    assert sorted(rules(small)) == [("age.mean_range", "age_mean", 2), ("age.order", "age_mean", 2)]


def test_the_engine_follows_the_annotations_not_the_names(tmp_path):
    """Rename the bundled review's label, reference and inclusion fields: tables, views and plots are unchanged."""
    original = copy_review(tmp_path / "original")
    build(original, original / "db.duckdb")
    root = copy_review(tmp_path / "renamed")
    renamed = {"study_label": "citation", "ref_number": "ref", "inclusion_status": "status"}
    schema = root / "schema/studies.schema.json"
    s = json.loads(schema.read_text(encoding="utf-8"))
    for f in s["fields"]:
        f["name"] = renamed.get(f["name"], f["name"])
    schema.write_text(json.dumps(s, indent=2), encoding="utf-8")
    p = root / "extract/consensus/studies.csv"
    header, rest = p.read_text(encoding="utf-8").split("\n", 1)
    p.write_text(",".join(renamed.get(h, h) for h in header.split(",")) + "\n" + rest, encoding="utf-8")
    book = root / "schema/codebook.csv"
    book.write_text(book.read_text(encoding="utf-8").replace("studies,inclusion_status,", "studies,status,"),
                    encoding="utf-8")
    configure(root, tables={**Review.open(original).params["tables"], "study": "{citation} [{ref}]"})
    assert validate_review(root).valid
    build(root, root / "db.duckdb")
    a, b = Review.open(original), Review.open(root)
    assert [t.rows for t in paper_tables(b, root / "db.duckdb")] == [t.rows for t in paper_tables(
        a, original / "db.duckdb")]
    assert theory_table(b, root / "db.duckdb").rows == theory_table(a, original / "db.duckdb").rows
    from cmokit.presentation.plot_data import appraisal_data, evidence_map_data
    from cmokit.presentation.theory_map import theory_map_data

    assert evidence_map_data(b, root / "db.duckdb").counts == evidence_map_data(a, original / "db.duckdb").counts
    assert [r.label for r in appraisal_data(b, root / "db.duckdb").rows] == [
        r.label for r in appraisal_data(a, original / "db.duckdb").rows]
    assert theory_map_data(b, root / "db.duckdb").bands == theory_map_data(a, original / "db.duckdb").bands
    import duckdb

    con = duckdb.connect(str(root / "db.duckdb"), read_only=True)
    cols = [c[0] for c in con.execute("SELECT * FROM study_cmo LIMIT 0").description]
    con.close()
    assert cols[:4] == ["study_id", "ref", "citation", "age_band"]
