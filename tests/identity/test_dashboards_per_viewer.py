"""Dashboards on a per-user connection (user_oauth, impersonation): one dashboard shared by
alice with bob shows each viewer the rows the table's ROW ACCESS POLICIES grant them, its
cached chart data is never served across identities, and a viewer who has not authorized is
asked to, never shown someone else's rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from belvedere.auth.roles import Role
from belvedere.services import Services
from tests.identity.helpers import authorize, belvedere, settings_for
from tests.support.bigquery.secure import SecureSales
from tests.support.faults import HttpProxy
from tests.support.google import GoogleService, service_account_key
from tests.support.identity import GrpcIdentityProxy
from tests.support.web.client import Client

BELVEDERE_SA = "belvedere@test-project.iam.gserviceaccount.com"
AUTHORIZE_URL = "/auth/warehouse/start?connection=bq&next=%2Fsqllab"
MODES = ("user_oauth", "impersonation")


def identity_options(mode: str, google: GoogleService) -> dict[str, Any]:
    if mode == "user_oauth":
        return {"auth": "none", "identity": "user_oauth"}
    return {
        "auth": "service_account_key",
        "service_account_key": service_account_key(google.token_uri, email=BELVEDERE_SA),
        "identity": "impersonation",
        "impersonation_template": "bq-{user}@{project}.iam.gserviceaccount.com",
        "impersonation_domains": ["example.com"],
    }


def principal(mode: str, user: str) -> str:
    """Who ``user`` queries BigQuery as, in each mode."""
    if mode == "user_oauth":
        return f"user:{user}@example.com"
    return f"serviceAccount:bq-{user}@test-project.iam.gserviceaccount.com"


@dataclass
class World:
    mode: str
    services: Services
    client: Callable[[], Client]
    google: GoogleService
    proxy: HttpProxy
    sales: SecureSales

    def user(self, name: str, *, authorized: bool = True) -> Client:
        """``name`` signed in (and, on user_oauth, having authorized the connection)."""
        client = self.client().login(name)
        if authorized and self.mode == "user_oauth":
            assert authorize(client, self.google, "bq", f"{name}@example.com") == "/sqllab"
        return client

    def rows_for(self, name: str) -> list[list[Any]]:
        """The rows of ``secure.sales`` the policies grant ``name``'s identity, sorted."""
        return [list(r) for r in self.sales.visible_to(principal(self.mode, name))]

    def queried_as(self) -> list[str | None]:
        """The identity each query reached the emulator as, since the last look."""
        callers = [
            r.sent_headers.get("x-bqemu-caller") if r.sent_headers else None
            for r in self.proxy.requests
            if r.sql is not None
        ]
        self.proxy.clear()
        return callers


@pytest.fixture(params=MODES)
def world(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    google: GoogleService,
    identity_rest_proxy: HttpProxy,
    identity_grpc_proxy: GrpcIdentityProxy,
    secure_sales: SecureSales,
) -> Iterator[World]:
    mode: str = request.param
    with belvedere(settings_for(tmp_path / "data", google)) as (services, client):
        services.connections.add(
            "bq",
            "bigquery",
            {
                "project": secure_sales.project,
                **identity_options(mode, google),
                "api_endpoint": identity_rest_proxy.url,
                "storage_api_endpoint": identity_grpc_proxy.target,
                "storage_api_insecure": True,
            },
        )
        yield World(mode, services, client, google, identity_rest_proxy, secure_sales)


def source(sales: SecureSales) -> dict[str, str]:
    return {"kind": "table", "schema": sales.dataset, "table": sales.table}


def raw_spec(sales: SecureSales) -> dict[str, Any]:
    return {"type": "table", "source": source(sales), "limit": 1000}


def bar_spec(sales: SecureSales) -> dict[str, Any]:
    return {
        "type": "bar",
        "source": source(sales),
        "dimensions": ["region"],
        "metrics": [{"agg": "sum", "column": "amount"}, {"agg": "count"}],
        "sort": [{"by": "region"}],
    }


def publish(owner: Client, sales: SecureSales, share_with: list[str]) -> tuple[int, int, int]:
    """``owner`` saves two charts on the secured table, puts them on a new dashboard and
    shares it as viewers; returns (dashboard id, raw-rows chart id, bar chart id)."""
    chart_ids = []
    for name, spec in (("Sales rows", raw_spec(sales)), ("Sales by region", bar_spec(sales))):
        made = owner.post(
            "/api/v1/charts",
            json={"name": name, "connection": "bq", "spec": spec, "cache_ttl_seconds": 3600},
        )
        assert made.status_code == 201, made.text
        chart_ids.append(made.json()["id"])
    dashboard = owner.post("/api/v1/dashboards", json={"title": "Sales"})
    assert dashboard.status_code == 201, dashboard.text
    dashboard_id = dashboard.json()["id"]
    tiles = [
        {"id": f"t{i}", "kind": "chart", "chart_id": c, "x": 6 * i, "y": 0, "w": 6, "h": 4}
        for i, c in enumerate(chart_ids)
    ]
    laid = owner.patch(f"/api/v1/dashboards/{dashboard_id}", json={"layout": {"tiles": tiles}})
    assert laid.status_code == 200, laid.text
    shares = [{"user": name, "access": "viewer"} for name in share_with]
    shared = owner.put(f"/api/v1/dashboards/{dashboard_id}/shares", json={"shares": shares})
    assert shared.status_code == 200, shared.text
    return dashboard_id, chart_ids[0], chart_ids[1]


def load(client: Client, dashboard_id: int, chart_id: int, force: bool = False) -> Any:
    return client.post(
        f"/api/v1/dashboards/{dashboard_id}/charts/{chart_id}/data",
        json={"filters": [], "force": force},
    )


def tile(client: Client, dashboard_id: int, chart_id: int, force: bool = False) -> dict[str, Any]:
    response = load(client, dashboard_id, chart_id, force)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    assert data["row_count"] == len(data["rows"])
    return data


def by_region(rows: list[list[Any]]) -> list[list[Any]]:
    """What the bar chart shows for these raw rows: region, sum of amount, count."""
    regions = sorted({r[0] for r in rows})
    return [
        [g, sum(r[1] for r in rows if r[0] == g), sum(1 for r in rows if r[0] == g)]
        for g in regions
    ]


def test_each_viewer_sees_their_own_rows(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    alice_rows, bob_rows = world.rows_for("alice"), world.rows_for("bob")
    assert alice_rows == [["north", 10], ["north", 20], ["north", 40]]
    assert bob_rows == [["south", 30], ["south", 50]]

    dashboard_id, raw, bar = publish(alice, world.sales, share_with=["bob"])
    world.queried_as()  # forget the creation's column lookups
    seen = bob.get(f"/api/v1/dashboards/{dashboard_id}").json()
    assert (seen["access"], seen["owner"], set(seen["charts"])) == (
        "viewer",
        "alice",
        {str(raw), str(bar)},
    )

    alice_raw = tile(alice, dashboard_id, raw)
    assert [c["name"] for c in alice_raw["columns"]] == ["region", "amount"]
    assert sorted(alice_raw["rows"]) == alice_rows
    assert tile(alice, dashboard_id, bar)["rows"] == by_region(alice_rows) == [["north", 70, 3]]
    assert set(world.queried_as()) == {principal(world.mode, "alice")}

    bob_raw = tile(bob, dashboard_id, raw)
    assert bob_raw["cached"] is False
    assert sorted(bob_raw["rows"]) == bob_rows
    assert tile(bob, dashboard_id, bar)["rows"] == by_region(bob_rows) == [["south", 80, 2]]
    assert set(world.queried_as()) == {principal(world.mode, "bob")}
    # The same chart, the same SQL: only the identity differs. The viewer is not sent the SQL
    # until the owner shows it to viewers.
    assert bob_raw["sql"] is None
    shown = alice.patch(f"/api/v1/charts/{raw}", json={"show_sql_to_viewers": True})
    assert shown.status_code == 200, shown.text
    assert tile(bob, dashboard_id, raw)["sql"] == alice_raw["sql"]

    # A user the dashboard is not shared with does not get at its charts at all.
    carol = world.user("carol", authorized=False)
    assert load(carol, dashboard_id, raw).status_code == 404


def test_cached_data_is_never_served_across_identities(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    alice_rows, bob_rows = world.rows_for("alice"), world.rows_for("bob")
    dashboard_id, raw, bar = publish(alice, world.sales, share_with=["bob", "carol"])
    world.queried_as()

    for chart, alice_sees, bob_sees in (
        (raw, alice_rows, bob_rows),
        (bar, by_region(alice_rows), by_region(bob_rows)),
    ):
        first = tile(alice, dashboard_id, chart)
        assert (first["cached"], sorted(first["rows"])) == (False, alice_sees)
        again = tile(alice, dashboard_id, chart)
        assert (again["cached"], sorted(again["rows"])) == (True, alice_sees)
        assert again["ran_at"] == first["ran_at"]
        assert world.queried_as() == [principal(world.mode, "alice")]  # one query, hers

        # bob's first load runs as bob: alice's cached result is not his.
        first = tile(bob, dashboard_id, chart)
        assert (first["cached"], sorted(first["rows"])) == (False, bob_sees)
        assert world.queried_as() == [principal(world.mode, "bob")]
        again = tile(bob, dashboard_id, chart)
        assert (again["cached"], sorted(again["rows"])) == (True, bob_sees)
        assert world.queried_as() == []

        # Each still gets their own from the cache, whoever loaded last.
        assert sorted(tile(alice, dashboard_id, chart)["rows"]) == alice_sees
        assert sorted(tile(bob, dashboard_id, chart)["rows"]) == bob_sees
        assert world.queried_as() == []

        # force runs again, as the one who forced; the other's cache is untouched.
        forced = tile(bob, dashboard_id, chart, force=True)
        assert (forced["cached"], sorted(forced["rows"])) == (False, bob_sees)
        assert world.queried_as() == [principal(world.mode, "bob")]
        assert sorted(tile(alice, dashboard_id, chart)["rows"]) == alice_sees
        assert world.queried_as() == []

    # carol, whom no policy grants a row, gets none: not alice's, not bob's cached ones.
    carol = world.user("carol")
    assert world.rows_for("carol") == []
    for chart in (raw, bar):
        data = tile(carol, dashboard_id, chart)
        assert (data["cached"], data["rows"]) == (False, [])
    assert set(world.queried_as()) == {principal(world.mode, "carol")}

    # Exploring the same chart is cached per identity as well.
    spec = raw_spec(world.sales)
    for client, rows in ((bob, bob_rows), (alice, alice_rows)):
        explored = client.post(
            "/api/v1/charts/explore", json={"connection": "bq", "spec": spec, "force": False}
        )
        assert explored.status_code == 200, explored.text
        assert sorted(explored.json()["rows"]) == rows


@pytest.mark.parametrize("world", ["user_oauth"], indirect=True)
def test_a_viewer_who_has_not_authorized_is_asked_to(world: World) -> None:
    alice = world.user("alice")
    bob = world.user("bob", authorized=False)
    dashboard_id, raw, bar = publish(alice, world.sales, share_with=["bob"])
    for chart in (raw, bar):  # alice's result is in the cache
        assert tile(alice, dashboard_id, chart)["rows"]
        assert tile(alice, dashboard_id, chart)["cached"] is True
    world.queried_as()

    for chart in (raw, bar):
        for force in (False, True):
            response = load(bob, dashboard_id, chart, force)
            assert response.status_code == 403, response.text
            body = response.json()
            assert "rows" not in body
            error = body["error"]
            assert error["code"] == "authorization_required"
            assert error["authorize_url"] == AUTHORIZE_URL
            assert error["connection"] == "bq"
    assert world.queried_as() == []  # nothing ran, as bob or as anyone

    # Once authorized, bob sees his rows, run as him.
    assert authorize(bob, world.google, "bq", "bob@example.com") == "/sqllab"
    data = tile(bob, dashboard_id, raw)
    assert (data["cached"], sorted(data["rows"])) == (False, world.rows_for("bob"))
    assert world.queried_as() == ["user:bob@example.com"]
    assert tile(bob, dashboard_id, raw)["cached"] is True

    # Disconnected, he is asked again: his own cached result is not served without a grant.
    assert bob.delete("/api/v1/me/authorizations/bq").status_code == 204
    response = load(bob, dashboard_id, raw)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "authorization_required"
    assert world.queried_as() == []
    assert sorted(tile(alice, dashboard_id, raw)["rows"]) == world.rows_for("alice")


def test_a_viewer_drills_into_the_rows_their_identity_may_read(world: World) -> None:
    """On a connection that queries as each user, a plain viewer (who may not run SQL) may see
    the rows behind a mark: the warehouse's own permissions decide which, so bob reads his
    rows, run as him, never alice's."""
    bob_account = world.services.users.by_username("bob")
    assert bob_account is not None
    world.services.users.update(bob_account.id, role=Role.VIEWER)
    alice, bob = world.user("alice"), world.user("bob")
    dashboard_id, _, bar = publish(alice, world.sales, share_with=["bob"])
    data = tile(bob, dashboard_id, bar)
    assert data["can_drill"] is True and data["sql"] is None
    world.queried_as()
    drilled = bob.post(
        f"/api/v1/dashboards/{dashboard_id}/charts/{bar}/rows",
        json={"point": {"region": "south"}, "limit": 100},
    )
    assert drilled.status_code == 200, drilled.text
    body = drilled.json()
    assert [c["name"] for c in body["columns"]] == ["region", "amount"]
    assert sorted(body["rows"]) == world.rows_for("bob")
    assert set(world.queried_as()) == {principal(world.mode, "bob")}
    # alice's region, asked for by name, holds nothing his identity may read.
    north = bob.post(
        f"/api/v1/dashboards/{dashboard_id}/charts/{bar}/rows",
        json={"point": {"region": "north"}},
    )
    assert north.status_code == 200, north.text
    assert north.json()["rows"] == []
