"""What every backend must do, checked against the real engine (engines and marks: conftest.py)."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest

from belvedere.warehouses.base import TYPE_METADATA_KEY, BulkCatalog, Cancellable
from belvedere.warehouses.errors import ErrorKind, WarehouseError
from tests.warehouses.engines import Engine


def fetch(engine: Engine, sql: str):  # type: ignore[no-untyped-def]
    query = engine.warehouse.query(sql)
    try:
        return query.run().read_all()
    except Exception as exc:
        raise engine.warehouse.translate_error(exc, sql) from exc
    finally:
        query.close()


def error_of(engine: Engine, sql: str) -> WarehouseError:
    with pytest.raises(WarehouseError) as caught:
        fetch(engine, sql)
    return caught.value


def test_rows_and_types(engine: Engine) -> None:
    table = fetch(engine, f"SELECT id, name, price, added FROM {engine.schema}.items ORDER BY id")
    assert table.to_pylist() == [
        {"id": 1, "name": "kettle", "price": Decimal("19.99"), "added": date(2024, 1, 2)},
        {"id": 2, "name": "mug", "price": Decimal("4.50"), "added": date(2024, 2, 3)},
        {"id": 3, "name": None, "price": None, "added": None},
    ]
    warehouse_types = [f.metadata[TYPE_METADATA_KEY].decode().lower() for f in table.schema]
    assert warehouse_types[0] in engine.integer_types
    assert "decimal" in warehouse_types[2] or "numeric" in warehouse_types[2]


def test_empty_result_keeps_its_columns(engine: Engine) -> None:
    table = fetch(engine, f"SELECT id, name FROM {engine.schema}.items WHERE id < 0")
    assert table.num_rows == 0
    assert table.schema.names == ["id", "name"]


def test_statement_without_rows(engine: Engine) -> None:
    fetch(engine, f"CREATE TABLE {engine.schema}.scratch (x INTEGER)")
    count = f"SELECT count(*) AS n FROM {engine.schema}.scratch"
    assert fetch(engine, count).to_pylist() == [{"n": 0}]


def test_parameters(engine: Engine) -> None:
    sql = f"SELECT name FROM {engine.schema}.items WHERE id = {engine.marker}"
    query = engine.warehouse.query(sql, [2])
    try:
        assert query.run().read_all().to_pylist() == [{"name": "mug"}]
    finally:
        query.close()


@pytest.mark.notyet(
    ["bigquery"],
    reason="the emulator sends query results over REST pages only (~20k rows/s, >10 s here); "
    "tests/bigquery/test_queries.py streams large results on it",
    run=False,
)
def test_large_result_streams_in_batches(engine: Engine) -> None:
    query = engine.warehouse.query(engine.series_sql.format(n=250_000))
    try:
        batches = list(query.run())
    finally:
        query.close()
    assert sum(b.num_rows for b in batches) == 250_000
    assert len(batches) > 1


@pytest.mark.notyet(
    ["bigquery"],
    reason="the emulator words this error as SQLGlot does ('Line 3, Col: 12'), not as "
    "BigQuery ('[3:12]')",
)
def test_syntax_error_has_kind_and_position(engine: Engine) -> None:
    error = error_of(engine, f"SELECT id\nFROM {engine.schema}.items\nWHERE id = = 1")
    assert error.kind is ErrorKind.SYNTAX
    assert error.line == 3
    assert error.column is not None and error.column >= 10


@pytest.mark.notyet(["bigquery"], reason="BigQuery reports a missing table without a position")
def test_unknown_table(engine: Engine) -> None:
    error = error_of(engine, f"SELECT * FROM {engine.schema}.nothing_here")
    assert error.kind is ErrorKind.NOT_FOUND
    assert "nothing_here" in error.message
    # At the qualified name (PostgreSQL) or its table part (DuckDB).
    assert error.line == 1 and error.column in (15, 15 + len(engine.schema) + 1)


@pytest.mark.notyet(
    ["bigquery"],
    reason="the emulator answers with DuckDB's binder error, not BigQuery's "
    "'Unrecognized name: colour at [1:8]'",
)
def test_unknown_column(engine: Engine) -> None:
    error = error_of(engine, f"SELECT colour FROM {engine.schema}.items")
    assert error.kind is ErrorKind.NOT_FOUND
    assert "colour" in error.message
    assert (error.line, error.column) == (1, 8)


@pytest.mark.notyet(
    ["bigquery"],
    reason="the emulator runs a job inside jobs.query, so jobs.cancel has nothing to stop "
    "(tests/bigquery/test_faults.py checks the cancel calls through a proxy)",
    run=False,
)
def test_cancel_stops_the_query_in_the_warehouse(engine: Engine) -> None:
    query = engine.warehouse.query(engine.long_sql)
    assert isinstance(query, Cancellable)
    outcome: dict[str, BaseException] = {}
    started = threading.Event()

    def run() -> None:
        started.set()
        try:
            query.run().read_all()
        except Exception as exc:
            outcome["error"] = engine.warehouse.translate_error(exc, engine.long_sql)

    worker = threading.Thread(target=run)
    worker.start()
    started.wait()
    # Cancel until the query is gone: a cancel that lands before the query started is harmless.
    deadline = time.monotonic() + 30
    while worker.is_alive() and time.monotonic() < deadline:
        query.cancel()
        worker.join(0.2)
    query.close()
    assert not worker.is_alive(), "the query kept running after cancel"
    error = outcome["error"]
    assert isinstance(error, WarehouseError) and error.kind is ErrorKind.CANCELLED


def test_catalog(engine: Engine) -> None:
    warehouse = engine.warehouse
    assert engine.schema in warehouse.list_schemas()
    tables = {t.name: t.kind for t in warehouse.list_tables(engine.schema)}
    assert tables == {"items": "table", "cheap": "view"}
    items = warehouse.describe(engine.schema, "items")
    assert [c.name for c in items.columns] == ["id", "name", "price", "added"]
    assert items.columns[0].nullable is False and items.columns[1].nullable is True
    with pytest.raises(WarehouseError) as missing:
        warehouse.describe(engine.schema, "missing")
    assert missing.value.kind is ErrorKind.NOT_FOUND
    assert isinstance(warehouse, BulkCatalog)
    [shop] = warehouse.load_catalog([engine.schema])
    assert (shop.name, shop.error) == (engine.schema, None)
    bulk = {t.name: [c.name for c in t.columns] for t in shop.tables}
    assert bulk == {"cheap": ["id", "name"], "items": ["id", "name", "price", "added"]}


def test_connection_test_passes(engine: Engine) -> None:
    engine.warehouse.test()
