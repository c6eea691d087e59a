"""One conformance suite, run against every backend with a real engine behind it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from belvedere.warehouses.base import Warehouse
from belvedere.warehouses.duckdb import DuckDBOptions, DuckDBWarehouse
from belvedere.warehouses.postgres import PostgresOptions, PostgresWarehouse

SEED = [
    "CREATE SCHEMA shop",
    "CREATE TABLE shop.items (id INTEGER NOT NULL, name VARCHAR(50), price DECIMAL(10, 2), "
    "added DATE)",
    "INSERT INTO shop.items VALUES (1, 'kettle', 19.99, DATE '2024-01-02'), "
    "(2, 'mug', 4.50, DATE '2024-02-03'), (3, NULL, NULL, NULL)",
    "CREATE VIEW shop.cheap AS SELECT id, name FROM shop.items WHERE price < 10",
]


@dataclass
class Engine:
    """A backend under test and what differs in its SQL."""

    warehouse: Warehouse
    long_sql: str
    """A query that runs for minutes unless cancelled."""


def _seed(warehouse: Warehouse) -> None:
    for statement in SEED:
        query = warehouse.query(statement)
        try:
            query.run().read_all()
        finally:
            query.close()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    warehouse: Warehouse
    if request.param == "duckdb":
        warehouse = DuckDBWarehouse(DuckDBOptions(path=":memory:", read_only=False))
        long_sql = "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b"
    else:
        server = request.getfixturevalue("postgres")
        database = request.getfixturevalue("pg_database")
        warehouse = PostgresWarehouse(
            PostgresOptions(
                host=server.host,
                port=server.port,
                database=database,
                user="postgres",
                read_only=False,  # the suite writes, as on DuckDB (read-only: test_postgres_rules)
            )
        )
        long_sql = "SELECT pg_sleep(600)"
    _seed(warehouse)
    yield Engine(warehouse, long_sql)
    warehouse.close()
