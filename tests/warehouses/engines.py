"""The engines the conformance suite runs on, and what differs in their SQL (as data).

Each test gets a fresh schema ``Engine.schema`` holding ``items`` (a table) and ``cheap`` (a
view), made by :data:`SEED`: a new in-memory DuckDB, a new PostgreSQL database, or a new dataset
in the session's BigQuery emulator (deleted afterwards).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from belvedere.warehouses.base import Warehouse
from belvedere.warehouses.bigquery import BigQueryOptions, BigQueryWarehouse
from belvedere.warehouses.duckdb import DuckDBOptions, DuckDBWarehouse
from belvedere.warehouses.postgres import PostgresOptions, PostgresWarehouse
from tests.support.bigquery.emulator import Emulator
from tests.support.servers.postgres import PostgresServer

SEED = [
    "CREATE TABLE {s}.items (id INTEGER NOT NULL, name {string}, price DECIMAL(10, 2), added DATE)",
    "INSERT INTO {s}.items VALUES (1, 'kettle', 19.99, DATE '2024-01-02'), "
    "(2, 'mug', 4.50, DATE '2024-02-03'), (3, NULL, NULL, NULL)",
    "CREATE VIEW {s}.cheap AS SELECT id, name FROM {s}.items WHERE price < 10",
]


@dataclass
class Engine:
    """A backend under test and what differs in its SQL."""

    name: str
    """``duckdb``, ``postgres`` or ``bigquery``: the id of the test's parameter."""
    warehouse: Warehouse
    schema: str
    """The schema (dataset) the seed is in."""
    long_sql: str
    """A query that runs for minutes unless cancelled."""
    marker: str
    """The positional parameter marker."""
    series_sql: str
    """``SELECT`` of the numbers ``0 .. {n} - 1`` as column ``n``."""
    integer_types: tuple[str, ...]
    """The warehouse's names of the seed's ``INTEGER`` type, lower case."""

    def seed(self, string_type: str = "VARCHAR(50)") -> None:
        for statement in SEED:
            _run(self.warehouse, statement.format(s=self.schema, string=string_type))


@contextmanager
def duckdb_engine() -> Iterator[Engine]:
    warehouse = DuckDBWarehouse(DuckDBOptions(path=":memory:", read_only=False))
    engine = Engine(
        name="duckdb",
        warehouse=warehouse,
        schema="shop",
        long_sql="SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b",
        marker="?",
        series_sql="SELECT range AS n FROM range({n})",
        integer_types=("integer",),
    )
    _run(warehouse, "CREATE SCHEMA shop")
    engine.seed()
    try:
        yield engine
    finally:
        warehouse.close()


@contextmanager
def postgres_engine(server: PostgresServer, database: str) -> Iterator[Engine]:
    warehouse = PostgresWarehouse(
        PostgresOptions(
            host=server.host,
            port=server.port,
            database=database,
            user="postgres",
            read_only=False,  # the suite writes, as on DuckDB (read-only: test_postgres_rules)
        )
    )
    engine = Engine(
        name="postgres",
        warehouse=warehouse,
        schema="shop",
        long_sql="SELECT pg_sleep(600)",
        marker="%s",
        series_sql="SELECT n FROM generate_series(0, {n} - 1) AS n",
        integer_types=("int4",),
    )
    _run(warehouse, "CREATE SCHEMA shop")
    engine.seed()
    try:
        yield engine
    finally:
        warehouse.close()


@contextmanager
def bigquery_engine(emulator: Emulator) -> Iterator[Engine]:
    """A fresh dataset in the emulator (its client straight, no proxies)."""
    dataset = f"conformance_{uuid.uuid4().hex[:8]}"
    warehouse = BigQueryWarehouse(
        BigQueryOptions(
            project=emulator.project,
            auth="none",
            api_endpoint=emulator.rest_url,
            storage_api_endpoint=emulator.grpc_target,
            storage_api_insecure=True,
        )
    )
    engine = Engine(
        name="bigquery",
        warehouse=warehouse,
        schema=dataset,
        long_sql="SELECT COUNT(*) FROM UNNEST(GENERATE_ARRAY(1, 100000)) a, "
        "UNNEST(GENERATE_ARRAY(1, 100000)) b",
        marker="?",
        series_sql="SELECT n FROM UNNEST(GENERATE_ARRAY(0, {n} - 1)) AS n",
        integer_types=("int64", "integer"),
    )
    client = emulator.client()
    try:
        client.create_dataset(f"{emulator.project}.{dataset}")
        engine.seed(string_type="STRING(50)")
        yield engine
    finally:
        warehouse.close()
        client.delete_dataset(f"{emulator.project}.{dataset}", delete_contents=True)
        client.close()


def _run(warehouse: Warehouse, sql: str) -> None:
    query = warehouse.query(sql)
    try:
        query.run().read_all()
    finally:
        query.close()
