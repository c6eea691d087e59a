"""The built-in connection's backend on its own: each query's engine holds the asker's rows of
``spend`` and nothing else, behind the DuckDB sandbox's rules."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from belvedere.store.db import Database
from belvedere.store.models import QueryRun, User, utcnow
from belvedere.warehouses.duckdb.quirks import SANDBOX
from belvedere.warehouses.errors import ErrorKind, WarehouseError
from belvedere.warehouses.internal.backend import InternalOptions, InternalWarehouse
from belvedere.warehouses.internal.spend import SpendRows, SpendScope

UTC = ZoneInfo("UTC")


@pytest.fixture
def store(tmp_path: Path) -> Database:
    """Users 1 (ann) and 2 (ben); ann has 2 runs billing 1 TiB each, ben 1, the command line 1,
    and one of ann's is on the built-in connection itself."""
    db = Database(f"sqlite:///{tmp_path / 'meta.db'}")
    db.migrate()
    now = utcnow()

    def run(user_id: int | None, connection: str = "bq", **more: Any) -> dict[str, Any]:
        return {
            "id": uuid.uuid4().hex,
            "user_id": user_id,
            "actor": "cli:ops" if user_id is None else "someone",
            "connection_name": connection,
            "surface": "api",
            "sql": "SELECT 1",
            "status": "succeeded",
            "max_rows": 10,
            "truncated": False,
            "submitted_at": now - timedelta(minutes=5),
            "deadline_at": now,
            "bytes_billed": 2**40,
            **more,
        }

    with db.session() as session:
        session.execute(
            insert(User),
            [
                {"id": 1, "username": "ann", "role": "editor", "groups": []},
                {"id": 2, "username": "ben", "role": "viewer", "groups": []},
            ],
        )
        runs = [run(1), run(1), run(2), run(None), run(1, "belvedere", bytes_billed=None)]
        session.execute(insert(QueryRun), runs)
    return db


def warehouse(store: Database, user_id: int | None) -> InternalWarehouse:
    return InternalWarehouse(InternalOptions(), SpendScope(user_id, UTC, SpendRows(store, 5.0)))


def rows(backend: InternalWarehouse, sql: str) -> list[dict[str, Any]]:
    """The rows of ``sql``; its error as the worker tells it (a ``WarehouseError``)."""
    query = backend.query(sql)
    try:
        return query.run().read_all().to_pylist()  # type: ignore[no-any-return]
    except Exception as exc:
        raise backend.translate_error(exc, sql) from exc
    finally:
        query.close()


def test_an_asker_gets_their_own_rows_whatever_the_sql(store: Database) -> None:
    ann = warehouse(store, 1)
    mine = 'SELECT "user", count(*) AS n, sum(cost) AS cost FROM spend GROUP BY 1'
    assert rows(ann, mine) == [{"user": "ann", "n": 2, "cost": 10.0}]
    assert rows(ann, "SELECT count(*) AS n FROM spend WHERE true OR 1 = 1") == [{"n": 2}]
    everyone = warehouse(store, None)
    by_user = f"{mine} ORDER BY 1"
    assert [(r["user"], r["n"]) for r in rows(everyone, by_user)] == [
        ("ann", 2),
        ("ben", 1),
        ("cli:ops", 1),
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM runs",
        "SELECT * FROM query_runs",
        "SELECT * FROM sqlite_scan('meta.db', 'users')",
        "SELECT * FROM read_parquet('x.parquet')",
        "ATTACH 'meta.db' AS meta (TYPE sqlite)",
        "INSTALL sqlite",
        "LOAD sqlite",
        "COPY spend TO 'out.csv'",
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO spend (run_id) VALUES ('x')",
        "DELETE FROM spend",
        "SET threads = 1",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM duckdb_databases",
    ],
)
def test_nothing_else_is_reachable(store: Database, sql: str) -> None:
    with pytest.raises(WarehouseError) as caught:
        rows(warehouse(store, 1), sql)
    assert caught.value.kind in (ErrorKind.ACCESS_DENIED, ErrorKind.NOT_FOUND), caught.value


@pytest.mark.parametrize("name", sorted(SANDBOX.denied_functions))
def test_every_function_the_sandbox_denies_is_denied(store: Database, name: str) -> None:
    with pytest.raises(WarehouseError) as caught:
        rows(warehouse(store, 1), f"SELECT {name}('x')")
    assert caught.value.kind is ErrorKind.ACCESS_DENIED


def test_without_an_asker_nothing_is_shown(store: Database) -> None:
    nobody = InternalWarehouse(InternalOptions(), None)
    with pytest.raises(WarehouseError, match="shows each user their own runs"):
        nobody.query("SELECT * FROM spend")
