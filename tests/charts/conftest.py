"""The same small table, ``facts``, on DuckDB, PostgreSQL and the BigQuery emulator, and a
``warehouse`` fixture that runs chart SQL on each of them for real.

``facts`` has a DATE and a TIMESTAMP column, NULLs, values that look like SQL injection or hold
LIKE's wildcards, and a column whose name holds a double quote and spaces. :data:`ROWS` is the
same data in Python: tests compute what a query must return from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from sqlglot import exp

from belvedere.charts.sql import saved_query_source, source_expression

ODD = 'odd "name" col'
CATEGORIES = ("apple", "50%_off", "cherry", "x' OR '1'='1")


@dataclass(frozen=True)
class Fact:
    id: int
    category: str
    region: str | None
    day: dt.date
    ts: dt.datetime
    amount: float
    odd: str


def _fact(i: int) -> Fact:
    day = dt.date(2023, 11, 1) + dt.timedelta(days=5 * i)
    ts = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=(7 * i) % 24, minutes=i)
    return Fact(
        id=i,
        category=CATEGORIES[i % 4],
        region=None if i % 5 == 0 else ("north", "south")[i % 2],
        day=day,
        ts=ts,
        amount=i * 1.25,
        odd=f"v{i % 3}",
    )


ROWS = [_fact(i) for i in range(1, 61)]
COLUMNS = ("id", "category", "region", "day", "ts", "amount", ODD)


def as_tuple(fact: Fact) -> tuple[Any, ...]:
    return (fact.id, fact.category, fact.region, fact.day, fact.ts, fact.amount, fact.odd)


def plain(value: Any) -> Any:
    """A result value comparable across drivers: naive UTC timestamps, floats for decimals."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    return value


@dataclass
class Warehouse:
    """Where chart SQL runs: the dialect, the ``facts`` table as a source, and ``run``."""

    dialect: str
    schema: str
    execute: Callable[[str], list[tuple[Any, ...]]]

    @property
    def facts(self) -> exp.Expression:
        return source_expression(self.dialect, schema=self.schema, table="facts")

    def saved(self, sql: str) -> exp.Expression:
        """A saved query's source; ``{facts}`` in ``sql`` names the table."""
        return saved_query_source(self.dialect, sql.format(facts=f"{self.schema}.facts"))

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(plain(v) for v in row) for row in self.execute(sql)]


def _duckdb() -> Iterator[Warehouse]:
    con = duckdb.connect(":memory:")
    con.execute(
        "CREATE TABLE main.facts (id BIGINT, category VARCHAR, region VARCHAR, day DATE, "
        'ts TIMESTAMP, amount DOUBLE, "odd ""name"" col" VARCHAR)'
    )
    con.executemany(
        "INSERT INTO main.facts VALUES (?, ?, ?, ?, ?, ?, ?)", [as_tuple(r) for r in ROWS]
    )
    yield Warehouse("duckdb", "main", lambda sql: con.execute(sql).fetchall())
    con.close()


def _postgres(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    import uuid

    import psycopg

    server = request.getfixturevalue("postgres")
    name = f"charts_{uuid.uuid4().hex[:10]}"
    server.create_database(name)
    con = psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname=name, autocommit=True
    )
    con.execute(
        "CREATE TABLE public.facts (id bigint, category text, region text, day date, "
        'ts timestamp, amount double precision, "odd ""name"" col" text)'
    )
    with con.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO public.facts VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [as_tuple(r) for r in ROWS],
        )

    def execute(sql: str) -> list[tuple[Any, ...]]:
        with con.cursor() as cursor:
            cursor.execute(sql)  # without parameters, psycopg reads no placeholders in it
            return cursor.fetchall()

    yield Warehouse("postgres", "public", execute)
    con.close()


def _bigquery(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    emulator = request.getfixturevalue("bq_emulator")
    client = emulator.client()
    client.create_dataset("charts", exists_ok=True)
    # DDL: the emulator's tables.insert refuses the odd column's name
    client.query(
        "CREATE OR REPLACE TABLE charts.facts (id INT64, category STRING, region STRING, "
        'day DATE, ts TIMESTAMP, amount FLOAT64, `odd "name" col` STRING)'
    ).result(timeout=60)
    table = client.get_table(f"{emulator.project}.charts.facts")
    rows = [
        {
            **dict(zip(COLUMNS, as_tuple(r), strict=True)),
            "day": r.day.isoformat(),
            "ts": r.ts.isoformat() + "Z",
        }
        for r in ROWS
    ]
    errors = client.insert_rows_json(table, rows, row_ids=[None] * len(rows))
    assert not errors, errors

    def execute(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in client.query(sql).result(timeout=60)]

    yield Warehouse("bigquery", "charts", execute)
    client.close()


@pytest.fixture(
    scope="module",
    params=[
        "duckdb",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("bigquery", marks=pytest.mark.bigquery),
    ],
)
def warehouse(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    """``facts`` on each warehouse in turn (made once per test module)."""
    makers = {"duckdb": lambda: _duckdb(), "postgres": lambda: _postgres(request)}
    makers["bigquery"] = lambda: _bigquery(request)
    yield from makers[request.param]()
