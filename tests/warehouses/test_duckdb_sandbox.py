"""The DuckDB sandbox's two layers: the engine's own locks, then statement classification."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from belvedere.sql.classify import StatementRefused, check_statements
from belvedere.warehouses.duckdb import DuckDBOptions, DuckDBWarehouse
from belvedere.warehouses.duckdb.quirks import SANDBOX
from belvedere.warehouses.errors import ErrorKind, WarehouseError

READ_ONLY = SANDBOX.read_only_message


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shop") / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE items AS SELECT range AS id FROM range(3)")
    return path


@pytest.fixture
def read_only(shop: Path) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(DuckDBOptions(path=str(shop)))
    yield warehouse
    warehouse.close()


def rows(warehouse: DuckDBWarehouse, sql: str) -> list[dict[str, object]]:
    query = warehouse.query(sql)
    try:
        return query.run().read_all().to_pylist()  # type: ignore[no-any-return]
    finally:
        query.close()


def refusal(warehouse: DuckDBWarehouse, sql: str) -> WarehouseError:
    with pytest.raises(WarehouseError) as caught:
        rows(warehouse, sql)
    assert caught.value.kind is ErrorKind.ACCESS_DENIED
    return caught.value


# -- the engine's locks, under the classifier: Belvedere's own (trusted) statements hit them too
@pytest.mark.parametrize(
    "sql",
    [
        "SET GLOBAL default_order = 'desc'",
        "SET threads = 1",
        "PRAGMA memory_limit = '8MB'",
        "CALL enable_logging('QueryLog')",
        "SELECT * FROM enable_logging('QueryLog')",
    ],
)
def test_the_engine_refuses_configuration_changes(read_only: DuckDBWarehouse, sql: str) -> None:
    with pytest.raises(WarehouseError, match="configuration has been locked"):
        read_only._rows(sql)
    assert read_only._rows("SELECT * FROM range(3) ORDER BY 1") == [(0,), (1,), (2,)]


def test_the_engine_refuses_files_unless_allowed(read_only: DuckDBWarehouse) -> None:
    with pytest.raises(WarehouseError, match="disabled by configuration"):
        read_only._rows("SELECT * FROM read_csv('/etc/hostname')")


ENGINE_CRASH = """
import sys
from belvedere.warehouses.duckdb import DuckDBOptions, DuckDBWarehouse
from belvedere.warehouses.errors import WarehouseError

warehouse = DuckDBWarehouse(DuckDBOptions(path=sys.argv[1]))
try:
    warehouse._rows(f"CALL enable_logging(storage='file', storage_path='{sys.argv[2]}')")
except WarehouseError as exc:
    print("refused:", exc.message)
print("after:", warehouse._rows("SELECT 42")[0][0])
"""


def test_file_logging_cannot_abort_the_process_even_past_the_classifier(
    shop: Path, tmp_path: Path
) -> None:
    # DuckDB 2.0.1 aborts the process on the statement after this one unless the
    # configuration is locked: a child process, so that a regression fails only this test.
    child = subprocess.run(
        [sys.executable, "-c", ENGINE_CRASH, str(shop), str(tmp_path / "log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert "configuration has been locked" in child.stdout
    assert "after: 42" in child.stdout


# -- the classifier ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM items ORDER BY id",
        "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
        "FROM items",
        "SELECT 1 UNION ALL SELECT 2",
        "VALUES (1)",
        "DESCRIBE items",
        "SHOW items",
        "SHOW TABLES",
        "SUMMARIZE items",
        "EXPLAIN SELECT * FROM items",
        "EXPLAIN ANALYZE SELECT * FROM items",
        "PIVOT items ON id USING count(*)",
        "SELECT 1; SELECT 2",
        "SELECT * FROM duckdb_columns() WHERE table_name = 'items'",
    ],
)
def test_reads_run(read_only: DuckDBWarehouse, sql: str) -> None:
    rows(read_only, sql)


@pytest.mark.parametrize("name", sorted(SANDBOX.denied_functions))
def test_every_denied_function_is_found_wherever_it_is_called(name: str) -> None:
    for sql in (
        f"SELECT {name}('x')",
        f"SELECT * FROM {name}()",
        f"SELECT * FROM main.{name.upper()}('x')",
        f'SELECT 1 WHERE EXISTS (SELECT * FROM "{name}"())',
        f"SELECT 'x'.{name}()",
    ):
        with pytest.raises(StatementRefused, match=f"`{name}` is not available"):
            check_statements(sql, "duckdb", SANDBOX)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM duckdb_databases",
        "SELECT * FROM system.main.duckdb_logs",
        "SELECT * FROM pragma_database_list",
        "SELECT * FROM pragma_database_size()",
        "SELECT * FROM pg_catalog.pg_settings",
        "SHOW memory_limit",
        'SHOW "temp_directory"',
        "DESCRIBE SELECT current_setting('threads')",
        "EXPLAIN SET threads = 1",
        "SELECT 1; ATTACH 'x' AS y",
        "CREATE TABLE items2 (x INTEGER)",
        "INSERT INTO items VALUES (9)",
        "SET VARIABLE v = 1",
        "CHECKPOINT",
    ],
)
def test_what_a_read_only_connection_refuses(read_only: DuckDBWarehouse, sql: str) -> None:
    assert refusal(read_only, sql).message.startswith(READ_ONLY)


def test_the_engine_and_sqlglot_must_agree_on_statements(read_only: DuckDBWarehouse) -> None:
    assert rows(read_only, "SELECT 1 AS a /* one /* nested */ ; still a comment */") == [{"a": 1}]


def test_a_writable_connection_changes_its_own_tables_only() -> None:
    warehouse = DuckDBWarehouse(DuckDBOptions(path=":memory:", read_only=False))
    try:
        rows(warehouse, "CREATE TABLE t (x INTEGER)")
        rows(warehouse, "INSERT INTO t VALUES (1), (2)")
        assert rows(warehouse, "SELECT sum(x) AS s FROM t") == [{"s": 2 + 1}]
        for sql in (
            "SET threads = 1",
            "CREATE TEMP TABLE u AS SELECT 1",
            "CREATE TEMP MACRO m(a) AS a",
            "ATTACH ':memory:' AS other",
            "INSERT INTO t SELECT 1 FROM duckdb_settings()",
            "CALL enable_logging('QueryLog')",
        ):
            error = refusal(warehouse, sql)
            assert error.message.startswith(SANDBOX.writable_message), sql
    finally:
        warehouse.close()


def test_a_read_only_memory_database_refuses_writes() -> None:
    warehouse = DuckDBWarehouse(DuckDBOptions(path=":memory:"))
    try:
        assert refusal(warehouse, "CREATE TABLE t (x INTEGER)").message == READ_ONLY
    finally:
        warehouse.close()


def test_file_access_allows_reading_files_and_nothing_more(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    warehouse = DuckDBWarehouse(DuckDBOptions(path=":memory:", allow_file_access=True))
    try:
        assert rows(warehouse, f"SELECT a FROM read_csv('{data}')") == [{"a": 1}]
        for sql in (
            f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
            f"ATTACH '{tmp_path / 'x.duckdb'}' AS x",
            f"CALL enable_logging(storage='file', storage_path='{tmp_path / 'log'}')",
            "SELECT * FROM duckdb_settings()",
        ):
            refusal(warehouse, sql)
        assert not (tmp_path / "out.csv").exists()
    finally:
        warehouse.close()
    without = DuckDBWarehouse(DuckDBOptions(path=":memory:"))
    try:
        assert "read_csv" in refusal(without, f"SELECT a FROM read_csv('{data}')").message
    finally:
        without.close()


def test_sql_sqlglot_cannot_parse_is_not_run(read_only: DuckDBWarehouse) -> None:
    with pytest.raises(StatementRefused, match="could not be checked"):
        check_statements("SELECT (((", "duckdb", SANDBOX)
    error = refusal_or_syntax(read_only, "SELECT (((")
    assert error.kind is ErrorKind.SYNTAX  # the engine's own message, with its position


def refusal_or_syntax(warehouse: DuckDBWarehouse, sql: str) -> WarehouseError:
    with pytest.raises(WarehouseError) as caught:
        rows(warehouse, sql)
    return caught.value
