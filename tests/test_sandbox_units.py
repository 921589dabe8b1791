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


def test_named_query_headers_at_their_edges(tmp_path):
    """Blank lines inside the header; continuation lines of the title, question and a parameter (with or without a
    space after ``--``); a comment line after ``paper`` or an empty ``--`` line continues nothing."""
    from cmokit.synthesis.query import parse_named

    f = tmp_path / "q.sql"
    text = ("-- title: Studies\n--by year\n\n-- question: How many\n--   per year?\n-- param n: how\n--many\n--\n"
            "-- param k = NULL: kind\n-- paper: claim one\n-- said twice\n\nSELECT $n, $k\n")
    f.write_text(text, encoding="utf-8")
    q = parse_named(f)
    assert (q.name, q.path, q.sql) == ("q", f, text)
    assert (q.title, q.question, q.paper) == ("Studies by year", "How many per year?", ["claim one"])
    assert [(p.name, p.description, p.default, p.required) for p in q.params] == [
        ("n", "how many", None, True), ("k", "kind", "NULL", False)]
    f.write_text("-- title: T\n-- question: Q?\n-- paper: p\n-- more words\nSELECT 1\n", encoding="utf-8")
    q = parse_named(f)
    assert (q.title, q.question, q.paper, q.params) == ("T", "Q?", ["p"], [])


def test_query_names_and_the_list_when_there_is_none(tmp_path):
    from cmokit.synthesis.query import load_named

    class R:
        root = tmp_path

    with pytest.raises(CmokitError, match=r"\(known: none\)"):
        load_named(R, "x")
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "Mixed_Case-1.2.sql").write_text("-- title: M\n-- question: Q?\nSELECT 1\n")
    assert load_named(R, "Mixed_Case-1.2").title == "M"
    with pytest.raises(CmokitError, match=r"\(known: Mixed_Case-1.2\)"):
        load_named(R, "x")
    for bad in ("-x", ".x", "a b", "a/b", ""):
        with pytest.raises(CmokitError, match="is not a query name"):
            load_named(R, bad)


def test_sql_error_messages_take_the_kind_from_the_json_and_only_a_numeric_position():
    sql = "SELECT a FROM s"
    exc = duckdb.Error('Odd Prefix: {"exception_type":"Catalog","exception_message":"no s","position":"x"}')
    assert sql_error_message(exc, sql) == "SQL catalog error: no s"
    exc = duckdb.Error('Catalog Error: {"exception_type":"Catalog","exception_message":"no s","position":"14"}')
    assert sql_error_message(exc, sql) == "SQL catalog error: no s (at line 1, column 15: 's')"
    exc = duckdb.Error('Catalog Error: {"exception_type":"Catalog","exception_message":"no s","position":"15"}')
    assert sql_error_message(exc, sql) == "SQL catalog error: no s (at line 1, column 16: '')"
    assert sql_error_message(duckdb.Error("just text"), sql) == "SQL just text: just text"


def test_the_first_line_of_an_error():
    from cmokit.synthesis.database import _first_line

    assert _first_line(ValueError("  one\ntwo ")) == "one"
    assert _first_line(ValueError("   ")) == "ValueError"


def test_the_order_of_the_sources_and_a_validator_outside_the_review(tmp_path):
    """The descriptor first, then by path relative to the review (as text); a validator file that is a symlink to
    a file elsewhere is still a source, under its own path."""
    import json

    from cmokit.package.model import Review
    from cmokit.synthesis.database import source_files

    root = tmp_path / "r"
    (root / "a").mkdir(parents=True)
    (root / "a-b").mkdir()
    (root / "validators").mkdir()
    for rel in ("a/x.csv", "a-b/y.csv", "0.csv"):
        (root / rel).write_text("a\nx\n")
    (tmp_path / "elsewhere.py").write_text("def validators(ctx):\n    return []\n")
    (root / "validators" / "v.py").symlink_to(tmp_path / "elsewhere.py")
    schema = {"fields": [{"name": "a", "type": "string"}]}
    (root / "datapackage.json").write_text(json.dumps({"name": "r", "resources": [
        {"name": n, "path": p, "schema": schema} for n, p in (("x", "a/x.csv"), ("y", "a-b/y.csv"), ("z", "0.csv"))]}))
    got = [(rel, p, role) for rel, p, role in source_files(Review.open(root))]
    link = root / "validators" / "v.py"
    assert str(link).startswith("/")  # so, as text, before every relative path
    assert got == [("datapackage.json", root / "datapackage.json", "descriptor"), (str(link), link, "validator"),
                   ("0.csv", root / "0.csv", "data"), ("a-b/y.csv", root / "a-b/y.csv", "data"),
                   ("a/x.csv", root / "a/x.csv", "data")]


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    """Codes with a quote and a parenthesis in them, and an upper-case column name."""
    path = tmp_path_factory.mktemp("coded") / "c.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TYPE kind AS ENUM ('a (b)', 'it''s', 'c')")
    con.execute('CREATE TABLE t (id INTEGER, k kind, "Up" VARCHAR)')
    con.execute("INSERT INTO t VALUES (1, 'a (b)', 'x'), (2, 'it''s', 'y'), (3, 'a (b)', 'x')")
    con.close()
    return path


def test_codes_holding_a_quote_or_a_parenthesis_are_codes(coded):
    """Fixed bug: the codes were cut at the first ')' of the ENUM type, so with a code like 'a (b)' no value at all
    was accepted ("the codes are .")."""
    nq = NamedQuery(name="k", path=Path("k.sql"), title="t", question="q?", params=[Param("k", "kind")],
                    sql="SELECT id FROM t WHERE k = $k ORDER BY id")
    assert run_named(coded, nq, {"k": "a (b)"}).rows == [(1,), (3,)]
    assert run_named(coded, nq, {"k": "it's"}).rows == [(2,)]
    assert run_named(coded, nq, {"k": "c"}).rows == []
    with pytest.raises(CmokitError) as exc:
        run_named(coded, nq, {"k": "it''s"})
    assert exc.value.message == "query 'k': --param k=it''s is not a code of k; the codes are a (b), it's, c."


def test_parameters_defaults_case_and_comments(coded):
    nq = NamedQuery(name="d", path=Path("d.sql"), title="t", question="q?",
                    params=[Param("Year", "y", "3", False), Param("n", "n", "null", False),
                            Param("c", "only in a comment", "1", False)],
                    sql="-- $c is not used\nSELECT $Year AS y, $n AS n -- nor here: $c\n")
    assert bind_params(nq, {}) == {"Year": "3", "n": None}
    assert bind_params(nq, {"Year": "7", "n": "2"}) == {"Year": "7", "n": "2"}
    res = run_named(coded, nq, {})
    assert (res.columns, res.types[0], res.rows) == (["y", "n"], "VARCHAR", [("3", None)])
    assert compared_columns("SELECT 1 WHERE LIST_CONTAINS(t.Codes, $p) OR B = $p-- note", "p") == ["B", "Codes"]


def test_run_sql_binds_parameters_keeps_gc_and_runs_without_a_time_limit(coded):
    import gc

    assert gc.isenabled()
    res = run_sql(coded, "SELECT $x + 1 AS y", {"x": 41}, limits=Limits(timeout=None))
    assert (res.columns, res.types, res.rows) == (["y"], ["INTEGER"], [(42,)])
    assert gc.isenabled()  # switched off while fetching, on again after


def test_a_named_query_runs_within_the_limits_it_is_given(coded):
    nq = NamedQuery(name="lim", path=Path("lim.sql"), title="t", question="q?", params=[],
                    sql="SELECT current_setting('threads') AS t, current_setting('memory_limit') AS m")
    assert run_named(coded, nq, {}, limits=Limits(threads=1, memory="300MB")).rows == [(1, "286.1 MiB")]
    slow = NamedQuery(name="slow", path=Path("slow.sql"), title="t", question="q?", params=[],
                      sql="SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3")
    with pytest.raises(CmokitError) as exc:
        run_named(coded, slow, {}, limits=Limits(timeout=0.2))
    assert exc.value.rule == "query.timeout" and exc.value.message.startswith("slow.sql: the query ran longer")


def test_sql_error_messages_in_full():
    sql = "SELECT a FROM a_table_with_a_long_name WHERE x"
    exc = duckdb.Error('Catalog Error: {"exception_type":"Catalog","exception_message":"no","position":"14"}')
    assert sql_error_message(exc, sql) == "SQL catalog error: no (at line 1, column 15: 'a_table_with_a_long_')"
    exc = duckdb.Error('Invalid Input Error: {"exception_type":"Invalid Input","exception_message":'
                       '"Cannot change configuration option \\"x\\""}')
    assert sql_error_message(exc, sql) == ('SQL invalid input error: Cannot change configuration option "x" - settings '
                                           "are locked in the query sandbox")
    assert sql_error_message(duckdb.Error(": boom"), sql) == "SQL error: boom"


def test_connections_are_read_only_and_a_stream_is_sandboxed_with_its_limits(coded):
    for sandbox in (True, False):
        con = connect_readonly(coded, sandbox=sandbox)
        try:
            with pytest.raises(duckdb.Error, match="read-only"):
                con.execute("CREATE TABLE z (a INTEGER)")
        finally:
            con.close()
    sql = ("SELECT current_setting('lock_configuration') AS l, current_setting('enable_external_access') AS e, "
           "current_setting('threads') AS t")
    with QueryStream(coded, sql, limits=Limits(threads=1)) as q:
        assert [r for b in q.batches() for r in b] == [(True, False, 1)]
    assert run_sql(coded, sql, limits=Limits(threads=1)).rows == [(True, False, 1)]
    assert run_sql(coded, sql).rows == [(True, False, Limits().threads)]


def test_a_one_character_continuation_line(tmp_path):
    from cmokit.synthesis.query import parse_named

    f = tmp_path / "q.sql"
    f.write_text("-- title: Part\n--2\n-- question: Why\n--?\n-- param n: a\n--b\nSELECT $n\n", encoding="utf-8")
    q = parse_named(f)
    assert (q.title, q.question, q.params[0].description) == ("Part 2", "Why ?", "a b")
