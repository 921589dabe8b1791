"""The query sandbox on a tiny database made here: connection settings, limits, errors, streaming, parameters.
In-process and fast (no review is built), so that mutation testing can run them for every mutant."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from cmokit.core.errors import CmokitError
from cmokit.synthesis.database import Limits, connect_readonly, sha256_file, stored_hashes
from cmokit.synthesis.query import (
    NamedQuery,
    Param,
    QueryStream,
    bind_params,
    check_param_codes,
    compared_columns,
    parse_param_options,
    run_named,
    run_sql,
    sql_error_message,
)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sandbox") / "t.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TYPE band AS ENUM ('infants', 'children')")
    con.execute("CREATE TABLE s (id INTEGER, b band, t VARCHAR)")
    con.execute("INSERT INTO s VALUES (1, 'infants', 'a'), (2, 'children', 'b'), (3, 'infants', NULL)")
    con.execute("CREATE TABLE source_files (path VARCHAR, sha256 VARCHAR)")
    con.execute("INSERT INTO source_files VALUES ('x.csv', 'abc')")
    con.close()
    return path


def test_settings_of_a_sandboxed_connection(db):
    con = connect_readonly(db, limits=Limits(memory="300MB", threads=1))
    try:
        got = con.execute("SELECT current_setting('enable_external_access'), current_setting('lock_configuration'), "
                          "current_setting('temp_directory'), current_setting('threads'), "
                          "current_setting('memory_limit'), current_setting('autoload_known_extensions'), "
                          "current_setting('autoinstall_known_extensions')").fetchone()
        assert got == (False, True, "", 1, "286.1 MiB", False, False)
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("SET threads = 2")
    finally:
        con.close()
    con = connect_readonly(db, sandbox=False)
    try:
        assert con.execute("SELECT current_setting('lock_configuration')").fetchone() == (False,)
    finally:
        con.close()


def test_missing_and_unusable_databases(tmp_path):
    with pytest.raises(CmokitError, match="no database here") as exc:
        connect_readonly(tmp_path / "none.duckdb")
    assert exc.value.rule == "db.missing"
    (tmp_path / "dir.duckdb").mkdir()
    with pytest.raises(CmokitError) as exc:
        connect_readonly(tmp_path / "dir.duckdb")
    assert exc.value.rule == "file.unsafe"
    (tmp_path / "junk.duckdb").write_text("not a database")
    with pytest.raises(CmokitError) as exc:
        connect_readonly(tmp_path / "junk.duckdb")
    assert exc.value.rule == "db.unreadable"


@pytest.mark.parametrize("limits,ok", [(Limits(), True), (Limits(memory="1.5GiB"), True), (Limits(memory="2 GB"), True),
                                       (Limits(memory="lots"), False), (Limits(memory="2"), False),
                                       (Limits(timeout=0), False), (Limits(timeout=-1), False),
                                       (Limits(timeout=None), True), (Limits(threads=0), False),
                                       (Limits(timeout=0.5), True)])
def test_limits_are_checked(limits, ok):
    if ok:
        assert limits.check() is limits
    else:
        with pytest.raises(CmokitError) as exc:
            limits.check()
        assert exc.value.rule == "usage"


def test_results_stream_in_batches(db):
    with QueryStream(db, "SELECT i FROM range(25) t(i) ORDER BY i", batch_rows=10) as q:
        assert (q.columns, q.types) == (["i"], ["BIGINT"])
        batches = [[r[0] for r in b] for b in q.batches()]
    assert batches == [list(range(10)), list(range(10, 20)), list(range(20, 25))]
    res = run_sql(db, "SELECT id, b, t FROM s ORDER BY id")
    assert (res.columns, res.rows) == (["id", "b", "t"], [(1, "infants", "a"), (2, "children", "b"), (3, "infants",
                                                                                                     None)])
    assert res.records()[0] == {"id": 1, "b": "infants", "t": "a"}


def test_the_time_limit(db):
    t0 = time.perf_counter()
    with pytest.raises(CmokitError) as exc:
        run_sql(db, "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3", limits=Limits(timeout=0.3))
    assert exc.value.rule == "query.timeout" and "(0.3 s)" in exc.value.message
    assert time.perf_counter() - t0 < 20
    assert run_sql(db, "SELECT 1 AS one", limits=Limits(timeout=5)).rows == [(1,)]  # a quick one is not stopped


def test_the_memory_limit(db):
    with pytest.raises(CmokitError) as exc:
        run_sql(db, "SELECT list(repeat('x', 1000)) FROM range(2000000)", limits=Limits(memory="100MB"))
    assert exc.value.rule == "query.memory" and "(100MB)" in exc.value.message


def test_sql_errors_are_one_line_with_the_position(db):
    with pytest.raises(CmokitError) as exc:
        run_sql(db, "SELECT id\nFROM s\nWHERE nope = 1")
    assert exc.value.rule == "query.sql"
    assert exc.value.message.startswith("SQL binder error: ") and "(at line 3, column 7: 'nope = 1')" in \
        exc.value.message and "\n" not in exc.value.message
    with pytest.raises(CmokitError) as exc:
        run_sql(db, "COPY s TO '/tmp/x.csv'")
    assert exc.value.message.endswith("- queries run in a read-only sandbox without file, network or extension "
                                      "access")
    with pytest.raises(CmokitError) as exc:
        run_sql(db, "SET threads = 1")
    assert exc.value.message.endswith("- settings are locked in the query sandbox")
    plain = sql_error_message(duckdb.ParserException("Parser Error: syntax error at or near \"FRM\""), "SELECT FRM")
    assert plain == 'SQL parser error: syntax error at or near "FRM"'


NQ = NamedQuery(name="by_band", path=Path("by_band.sql"), title="t", question="q?",
                params=[Param("band", "a band"), Param("text", "free", "NULL", False),
                        Param("unused", "x", "1", False)],
                sql="-- title: t\nSELECT id FROM s WHERE s.b = $band AND ($text IS NULL OR t = $text) ORDER BY id")


def test_parameters_are_bound_and_their_codes_checked(db):
    assert bind_params(NQ, {"band": "infants"}) == {"band": "infants", "text": None}
    with pytest.raises(CmokitError, match="needs --param band=VALUE"):
        bind_params(NQ, {})
    with pytest.raises(CmokitError, match="has no parameter colour"):
        bind_params(NQ, {"band": "infants", "colour": "red"})
    assert compared_columns(NQ.sql, "band") == ["b"] and compared_columns(NQ.sql, "text") == ["t"]
    assert compared_columns("SELECT 1 WHERE list_contains(x.codes, $c) AND $d = y", "c") == ["codes"]
    assert compared_columns("SELECT 1 WHERE $d = y.col", "d") == ["col"]
    assert [r[0] for r in run_named(db, NQ, {"band": "infants"}).rows] == [1, 3]
    assert run_named(db, NQ, {"band": "infants", "text": "a"}).rows == [(1,)]
    with pytest.raises(CmokitError) as exc:
        run_named(db, NQ, {"band": "teens"})
    assert exc.value.message == ("query 'by_band': --param band=teens is not a code of b; the codes are infants, "
                                 "children.")
    check_param_codes(db, NQ, {"text": "anything"})  # a free-text column takes any value


def test_a_named_querys_error_names_its_file(db):
    bad = NamedQuery(name="bad", path=Path("bad.sql"), title="t", question="q?", params=[], sql="SELECT nope FROM s")
    with pytest.raises(CmokitError) as exc:
        run_named(db, bad, {})
    assert exc.value.message.startswith("bad.sql: SQL binder error")


def test_param_options():
    assert parse_param_options(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(CmokitError, match="must read key=value"):
        parse_param_options(["nokey"])


def test_stored_and_changed_hashes(db, tmp_path):
    assert stored_hashes(db) == {"x.csv": "abc"}
    assert stored_hashes(tmp_path / "none.duckdb") is None
    (tmp_path / "plain.duckdb").write_text("junk")
    assert stored_hashes(tmp_path / "plain.duckdb") is None
    f = tmp_path / "f.txt"
    f.write_bytes(b"hello")
    assert sha256_file(f) == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert sha256_file(tmp_path / "missing") is None


def test_named_query_files(tmp_path):
    from cmokit.synthesis.query import list_named, load_named, parse_named, queries_dir

    class R:  # the one thing the functions need of a review: its folder
        root = tmp_path

    assert queries_dir(R) == tmp_path / "queries" and list_named(R) == []
    q = tmp_path / "queries"
    q.mkdir()
    (q / "b.sql").write_text("-- title: Bee\n-- question: Which\n--   bees?\n-- param n = 3: how many\n"
                             "--   at most\n-- paper: one claim\n-- paper: another\n\nSELECT $n\n-- title: ignored\n")
    (q / "a.sql").write_text("\ufeff-- title: A\n-- question: Why?\nSELECT 1\n")
    assert [n.name for n in list_named(R)] == ["a", "b"]
    b = load_named(R, "b")
    assert (b.title, b.question, b.paper) == ("Bee", "Which bees?", ["one claim", "another"])
    assert [(p.name, p.default, p.required, p.description) for p in b.params] == [("n", "3", False, "how many at most")]
    assert load_named(R, "a").title == "A"
    for name, text in (("../x", "is not a query name"), ("c", "no named query 'c'")):
        with pytest.raises(CmokitError, match=text) as exc:
            load_named(R, name)
        assert exc.value.rule == "query.unknown"
    with pytest.raises(CmokitError, match="known: a, b"):
        load_named(R, "c")
    (q / "bad.sql").write_text("-- title: T\n-- question: Q?\n-- param oops\nSELECT 1\n")
    with pytest.raises(CmokitError, match=r"bad.sql, line 3: a parameter reads") as exc:
        parse_named(q / "bad.sql")
    assert (exc.value.rule, exc.value.line) == ("query.header", 3)
    (q / "bad.sql").write_text("-- title: T\nSELECT 1\n")
    with pytest.raises(CmokitError, match="needs a '-- question: ...' line"):
        parse_named(q / "bad.sql")
    (q / "bad.sql").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CmokitError, match="cannot be read") as exc:
        parse_named(q / "bad.sql")
    assert exc.value.rule == "query.unreadable"


def test_the_sources_of_a_build(tmp_path):
    import json

    from cmokit.package.model import Review
    from cmokit.synthesis.database import (
        DEFAULT_DB,
        changed_sources,
        default_db_path,
        resolve_db_path,
        source_files,
        source_hashes,
    )

    root = tmp_path / "r"
    (root / "validators" / "__pycache__").mkdir(parents=True)
    (root / "schema").mkdir()
    (root / "schema" / "t.json").write_text(json.dumps({"fields": [{"name": "a", "type": "string"}]}))
    (root / "t.csv").write_text("a\nx\n")
    (root / "validators" / "v.py").write_text("def validators(ctx):\n    return []\n")
    (root / "validators" / "__pycache__" / "v.py").write_text("")
    (root / "datapackage.json").write_text(json.dumps({"name": "r", "resources": [
        {"name": "t", "path": "t.csv", "schema": "schema/t.json"}]}))
    review = Review.open(root)
    assert [(rel, role) for rel, _, role in source_files(review)] == [
        ("datapackage.json", "descriptor"), ("schema/t.json", "schema"), ("t.csv", "data"),
        ("validators/v.py", "validator")]
    hashes = source_hashes(review)
    assert hashes["t.csv"] == sha256_file(root / "t.csv") and len(hashes) == 4
    assert default_db_path(review) == root / DEFAULT_DB == resolve_db_path(review, None)
    assert resolve_db_path(review, "x.duckdb") == Path("x.duckdb").resolve()
    db = tmp_path / "s.duckdb"
    assert changed_sources(review, db) is None
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE source_files (path VARCHAR, sha256 VARCHAR)")
    con.executemany("INSERT INTO source_files VALUES (?, ?)", list(hashes.items()))
    con.close()
    assert changed_sources(review, db) == []
    (root / "t.csv").write_text("a\ny\n")
    (root / "validators" / "w.py").write_text("")
    assert changed_sources(review, db) == ["t.csv", "validators/w.py"]


def test_sql_error_messages_from_duckdbs_json_errors():
    sql = "SELECT a,\n  nope FROM s"
    exc = duckdb.BinderException('Binder Error: {"exception_type":"Binder","exception_message":"Referenced column '
                                 '\\"nope\\" not found\\nCandidate: a","position":"12"}')
    assert sql_error_message(exc, sql) == ('SQL binder error: Referenced column "nope" not found Candidate: a '
                                           "(at line 2, column 3: 'nope FROM s')")
    exc = duckdb.PermissionException('Permission Error: {"exception_type":"Permission","exception_message":"no"}')
    assert sql_error_message(exc, sql) == ("SQL permission error: no - queries run in a read-only sandbox without "
                                           "file, network or extension access")
    exc = duckdb.InvalidInputException('Invalid Input Error: {"exception_type":"Invalid Input","exception_message":'
                                       '"Cannot change configuration option \\"x\\""}')
    assert sql_error_message(exc, sql).endswith("- settings are locked in the query sandbox")
    assert sql_error_message(duckdb.Error("Catalog Error: {broken json"), sql) == "SQL catalog error: {broken json"
    assert sql_error_message(duckdb.Error("Catalog Error: plain"), sql) == "SQL catalog error: plain"
