"""User SQL on PostgreSQL runs in a read-only transaction that is rolled back, unless the
connection says otherwise: writes are refused with a sentence that says why, a ``COMMIT``
cannot end the transaction early, and no ``SET`` outlives its run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.servers.postgres import PostgresServer
from tests.support.web.client import Client, app_clients

pytestmark = pytest.mark.postgres


@pytest.fixture
def api(
    make_settings: Callable[..., Settings], postgres: PostgresServer, pg_database: str
) -> Iterator[Client]:
    with psycopg.connect(
        host=postgres.host,
        port=postgres.port,
        user=postgres.user,
        dbname=pg_database,
        autocommit=True,
    ) as seed:
        seed.execute("CREATE TABLE items (id integer)")
        seed.execute("INSERT INTO items VALUES (1), (2)")
    services = Services(make_settings())
    services.first_start()
    where = {"host": postgres.host, "port": postgres.port, "database": pg_database}
    services.connections.add("pg", "postgres", {**where, "user": postgres.user})
    services.connections.add(
        "pg_rw", "postgres", {**where, "user": postgres.user, "read_only": False}
    )
    with app_clients(services) as make:
        yield make().login()
    services.close()


def run(api: Client, sql: str, connection: str = "pg") -> tuple[int, dict[str, Any]]:
    response = api.post(
        "/api/v1/runs", json={"connection": connection, "sql": sql, "wait_ms": 10_000}
    )
    body: dict[str, Any] = response.json()
    return response.status_code, body


def rows(api: Client, sql: str, connection: str = "pg") -> list[list[Any]]:
    status, body = run(api, sql, connection)
    assert status == 200, body
    return [list(r) for r in body["result"]["rows"]]


def test_reads_work(api: Client) -> None:
    assert rows(api, "SELECT id FROM items ORDER BY id") == [[1], [2]]
    assert rows(api, "SHOW transaction_read_only") == [["on"]]
    assert rows(api, "SELECT current_setting('transaction_read_only')") == [["on"]]


WRITES = [
    "INSERT INTO items VALUES (3)",
    "DELETE FROM items",
    "CREATE TABLE other (x integer)",
    "DROP TABLE items",
    "SELECT id FROM items FOR UPDATE",
]


def test_writes_are_refused_with_a_sentence(api: Client) -> None:
    for sql in WRITES:
        status, body = run(api, sql)
        assert status == 400, body
        error = body["error"]
        assert error["code"] == "access_denied"
        assert "read-only" in error["message"]
        assert "read_only option" in error["message"]
    assert rows(api, "SELECT count(*) FROM items") == [[2]]


def test_no_statement_gets_past_the_read_only_transaction(api: Client) -> None:
    for sql in (
        "COMMIT; DROP TABLE items",
        "COMMIT; SET default_transaction_read_only = off; COMMIT; DELETE FROM items",
        "SELECT 1; COMMIT; DELETE FROM items",
        "WITH gone AS (DELETE FROM items RETURNING id) SELECT * FROM gone",
    ):
        status, body = run(api, sql)
        assert status == 400, body
        assert body["error"]["message"]
    assert rows(api, "SELECT count(*) FROM items") == [[2]]


def test_settings_do_not_outlive_the_run(api: Client) -> None:
    default = rows(api, "SHOW search_path")
    for sql in ("SET search_path = nowhere", "SET SESSION search_path = nowhere"):
        assert run(api, sql)[0] == 200
        assert rows(api, "SHOW search_path") == default
    assert run(api, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")[0] == 200
    assert run(api, "INSERT INTO items VALUES (3)")[0] == 400


def test_a_connection_may_allow_writes(api: Client) -> None:
    assert run(api, "INSERT INTO items VALUES (3)", "pg_rw")[0] == 200
    assert rows(api, "SELECT count(*) FROM items") == [[3]]
