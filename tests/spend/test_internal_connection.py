"""The built-in connection ``belvedere``: SQL over a ``spend`` table of the asker's runs only
(an admin's: everyone's), which no SQL can widen, and which nobody can add, change or remove."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.store.models import QueryRun, User
from tests.support.web.client import Client, MakeClient


def rows(client: Client, sql: str) -> list[list[Any]]:
    """The rows of ``sql`` on ``belvedere``, which must succeed."""
    answer = client.post(
        "/api/v1/runs", json={"wait_ms": 30_000, "connection": "belvedere", "sql": sql}
    )
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert run["status"] == "succeeded", run
    return [list(row) for row in run["result"]["rows"]]


def refusal(client: Client, sql: str) -> str:
    """The error message of ``sql`` on ``belvedere``, which must fail."""
    answer = client.post(
        "/api/v1/runs", json={"wait_ms": 30_000, "connection": "belvedere", "sql": sql}
    ).json()
    assert answer.get("status", "failed") == "failed", answer  # a run that failed, or a 4xx
    return str(answer["error"]["message"])


@pytest.fixture
def people(
    app_client: MakeClient, make_user: Callable[[str, Role], str], client: Client
) -> dict[str, Client]:
    """The admin, and editors alice and bob, each with runs on ``demo``: alice 2, bob 1."""
    signed = {"admin": client}
    for name in ("alice", "bob"):
        signed[name] = app_client().login(make_user(name, Role.EDITOR))
    for name, count in (("alice", 2), ("bob", 1), ("admin", 1)):
        for i in range(count):
            answer = signed[name].post(
                "/api/v1/runs",
                json={"wait_ms": 30_000, "connection": "demo", "sql": f"SELECT {i} AS n"},
            )
            assert answer.json()["status"] == "succeeded"
    return signed


RUNS_BY_USER = 'SELECT "user", count(*) FROM spend GROUP BY 1 ORDER BY 1'


def test_an_admin_sees_everyones_runs_and_others_their_own(people: dict[str, Client]) -> None:
    assert rows(people["admin"], RUNS_BY_USER) == [["admin", 1], ["alice", 2], ["bob", 1]]
    assert rows(people["alice"], RUNS_BY_USER) == [["alice", 2]]
    assert rows(people["bob"], RUNS_BY_USER) == [["bob", 1]]
    # Its own runs are not spend: asking twice shows the same.
    assert rows(people["bob"], RUNS_BY_USER) == [["bob", 1]]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM query_runs",
        "SELECT * FROM runs",
        "SELECT * FROM users",
        "SELECT * FROM sqlite_scan('belvedere.db', 'query_runs')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "ATTACH 'belvedere.db' AS meta",
        "SET enable_external_access = true",
        "SELECT current_setting('home_directory')",
        "CREATE TABLE mine AS SELECT 1",
        "SELECT * FROM query('SELECT 1')",
    ],
)
def test_no_sql_reaches_beyond_the_askers_spend(people: dict[str, Client], sql: str) -> None:
    assert refusal(people["alice"], sql)


def test_the_engine_holds_the_spend_table_only(people: dict[str, Client]) -> None:
    tables = rows(people["alice"], "SELECT database_name, table_name FROM duckdb_tables()")
    assert tables == [["memory", "spend"]]


def test_cached_answers_never_cross_askers(people: dict[str, Client]) -> None:
    """The same chart, drawn by two people: each gets their own rows (a per-asker identity)."""
    spec = {
        "type": "table",
        "source": {"kind": "table", "table": "spend"},
        "dimensions": ["user"],
        "metrics": [{"agg": "count"}],
    }

    def draw(name: str) -> dict[str, Any]:
        answer = people[name].post(
            "/api/v1/charts/explore", json={"connection": "belvedere", "spec": spec}
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    first = draw("alice")
    assert (first["rows"], first["cached"]) == ([["alice", 2]], False)
    bob = draw("bob")
    assert (bob["rows"], bob["cached"]) == ([["bob", 1]], False)
    again = draw("alice")
    assert (again["rows"], again["cached"]) == ([["alice", 2]], True)


def test_days_are_the_askers_and_cost_follows_bytes_billed(
    people: dict[str, Client], services: Services
) -> None:
    with services.db.session() as session:
        alice = session.query(User).filter_by(username="alice").one()
        alice.timezone = "Pacific/Auckland"
        session.execute(
            update(QueryRun)
            .where(QueryRun.user_id == alice.id)
            .values(bytes_billed=2**40, bytes_processed=2**41)
        )
    sql = "SELECT day = (now() AT TIME ZONE 'Pacific/Auckland')::DATE, cost FROM spend"
    price = services.settings.price_per_tib
    assert rows(people["alice"], sql) == [[True, price], [True, price]]


def test_nobody_adds_changes_or_removes_it(client: Client) -> None:
    built_in = "belvedere is Belvedere's built-in connection"
    for response in (
        client.post(
            "/api/v1/connections",
            json={"name": "belvedere", "kind": "duckdb", "options": {"path": ":memory:"}},
        ),
        client.post("/api/v1/connections", json={"name": "mine", "kind": "belvedere"}),
        client.patch("/api/v1/connections/belvedere", json={"timeout_seconds": 5}),
        client.delete("/api/v1/connections/belvedere"),
    ):
        assert response.status_code == 400, response.text
        assert built_in in response.json()["error"]["message"]
    assert "belvedere" not in [c["name"] for c in client.get("/api/v1/connections").json()]


def test_the_spend_pages_charts_show_each_asker_their_own(
    people: dict[str, Client], app_client: MakeClient, make_user: Callable[[str, Role], str]
) -> None:
    viewer = app_client().login(make_user("vera", Role.VIEWER))
    by_connection = "/api/v1/spend/charts/by_connection?metric=runs"
    assert people["admin"].get(by_connection).json()["rows"] == [["demo", 4]]
    assert people["alice"].get(by_connection).json()["rows"] == [["demo", 2]]
    assert viewer.get(by_connection).json()["rows"] == []
    by_user = people["admin"].get("/api/v1/spend/charts/by_user?metric=runs").json()
    assert by_user["rows"] == [["alice", 2], ["admin", 1], ["bob", 1]]
    assert viewer.get("/api/v1/spend/charts/by_user").status_code == 403
    over_time = people["bob"].get("/api/v1/spend/charts/over_time?metric=runs").json()
    assert [row[1] for row in over_time["rows"]] == [1]
    assert over_time["vega_lite"] is not None
    long_ago = "/api/v1/spend/charts/by_surface?since=2020-01-01&until=2020-01-31"
    assert people["admin"].get(long_ago).json()["rows"] == []
    assert people["admin"].get("/api/v1/spend/charts/nope").status_code == 404


def test_those_who_query_are_offered_it_with_its_table(
    people: dict[str, Client], app_client: MakeClient, make_user: Callable[[str, Role], str]
) -> None:
    listed = people["alice"].get("/api/v1/connections?built_in=true").json()
    assert [(c["name"], c["kind"]) for c in listed] == [
        ("demo", "duckdb"),
        ("belvedere", "belvedere"),
    ]
    viewer = app_client().login(make_user("vera", Role.VIEWER))
    assert [c["name"] for c in viewer.get("/api/v1/connections?built_in=true").json()] == ["demo"]
    catalog = people["alice"].get("/api/v1/connections/belvedere/catalog").json()
    [schema] = catalog["schemas"]
    [table] = schema["tables"]
    assert (schema["name"], table["name"]) == ("main", "spend")
    table = people["alice"].get("/api/v1/connections/belvedere/catalog/tables/main/spend").json()
    assert [c["name"] for c in table["columns"]][:4] == ["run_id", "day", "submitted_at", "user"]


def test_an_admin_no_longer_sees_everyones_once_demoted(
    people: dict[str, Client], app_client: MakeClient, make_user: Callable[[str, Role], str]
) -> None:
    ada = app_client().login(make_user("ada", Role.ADMIN))
    by_user = "/api/v1/spend/charts/by_connection?metric=runs"
    assert ada.get(by_user).json()["rows"] == [["demo", 4]]
    ada_id = next(
        u["id"] for u in people["admin"].get("/api/v1/users").json() if u["username"] == "ada"
    )
    demoted = people["admin"].patch(f"/api/v1/users/{ada_id}", json={"role": "editor"})
    assert demoted.status_code == 200, demoted.text
    assert ada.get(by_user).json()["rows"] == []  # not the cached chart of her admin days


def test_schedules_treat_it_as_showing_each_user_their_own(client: Client) -> None:
    saved = client.post(
        "/api/v1/saved-queries",
        json={"connection": "belvedere", "name": "My spend", "sql": "SELECT * FROM spend"},
    )
    assert saved.status_code == 201, saved.text
    weekly = {
        "name": "Weekly spend",
        "target": {"kind": "saved_query", "id": saved.json()["id"]},
        "cron": "0 8 * * 1",
        "channel": "email",
        "recipients": ["stranger@example.org"],
    }
    outsiders = client.post("/api/v1/schedules", json=weekly)
    assert outsiders.status_code == 422, outsiders.text
    assert "connection belvedere shows each user their own rows" in outsiders.text
    each = client.post("/api/v1/schedules", json={**weekly, "run_as": "recipient"})
    assert each.status_code == 201, each.text
