"""One conformance suite, run against every backend with a real engine behind it: DuckDB,
PostgreSQL and BigQuery (the emulator). A test that an engine cannot pass says why with a mark:

- ``@pytest.mark.notimpl(["bigquery"], reason=...)``: Belvedere's backend does not do it yet;
- ``@pytest.mark.notyet(["bigquery"], reason=...)``: the engine under test cannot (e.g. the
  emulator is not BigQuery); ``run=False`` when trying would hang or take too long.

On those engines the test is expected to fail (strict: one that passes fails the run, so the
mark is dropped when it is no longer true).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.warehouses.engines import Engine, bigquery_engine, duckdb_engine, postgres_engine

HERE = Path(__file__).parent
ENGINES = [
    "duckdb",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("bigquery", marks=pytest.mark.bigquery),
]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A backend on a real engine, with the seed in a fresh schema (see engines.py)."""
    if request.param == "duckdb":
        with duckdb_engine() as engine:
            yield engine
    elif request.param == "postgres":
        server = request.getfixturevalue("postgres")
        with postgres_engine(server, request.getfixturevalue("pg_database")) as engine:
            yield engine
    else:
        with bigquery_engine(request.getfixturevalue("bq_emulator")) as engine:
            yield engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Turn ``notimpl``/``notyet`` marks into strict xfails on the engines they name."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if HERE not in item.path.parents or callspec is None:
            continue
        name = callspec.params.get("engine")
        for mark in item.iter_markers():
            if mark.name in ("notimpl", "notyet") and name in mark.args[0]:
                reason = f"{mark.name} on {name}: {mark.kwargs['reason']}"
                run = mark.kwargs.get("run", True)
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True, run=run))
