"""Every API endpoint against every role, anonymous, and a second user of the same role.

The table below must name every route of the API (a test fails on a route it does not know), so
a new endpoint cannot ship without saying who may call it. Objects (runs, saved drafts) belong
to their owner: anyone else, admins included, gets 404 for them, never their content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from belvedere.auth.roles import Role
from belvedere.services import Services
from tests.support.web.client import Client, app_clients

PUBLIC = "public"
SIGNED_IN = "signed_in"
RUN_SQL = "run_sql"
USE_CONNECTIONS = "use_connections"
MANAGE_CONNECTIONS = "manage_connections"
MANAGE_USERS = "manage_users"
VIEW_AUDIT = "view_audit"
EDIT_CHARTS = "edit_charts"
OWNER = "owner"  # RUN_SQL (charts: EDIT_CHARTS, held by the same roles), and only the owner
PRIVATE = "private"  # any signed-in role, but only the owner of a private dashboard
OWNER_OR_ADMIN = "owner_or_admin"  # RUN_SQL, and only the owner or an admin (schedules)
ELSEWHERE = "elsewhere"  # changes the caller's own session: tested in test_api_auth.py

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/auth/csrf"): PUBLIC,
    ("POST", "/api/v1/auth/login"): ELSEWHERE,
    ("POST", "/api/v1/auth/logout"): ELSEWHERE,
    ("POST", "/api/v1/auth/password"): ELSEWHERE,
    ("GET", "/api/v1/auth/me"): SIGNED_IN,
    ("PATCH", "/api/v1/auth/me"): SIGNED_IN,
    ("GET", "/api/v1/me/budget-notices"): SIGNED_IN,  # one's own; admins everyone's
    ("GET", "/api/v1/spend"): SIGNED_IN,  # one's own spend; admins everyone's
    ("GET", "/api/v1/spend/export"): SIGNED_IN,
    ("GET", "/api/v1/spend/top"): SIGNED_IN,
    ("GET", "/api/v1/spend/budgets"): SIGNED_IN,
    ("GET", "/api/v1/spend/charts/{name}"): SIGNED_IN,  # by_user: admins only (own test)
    ("GET", "/api/v1/cost-rules"): MANAGE_CONNECTIONS,
    ("POST", "/api/v1/cost-rules"): MANAGE_CONNECTIONS,
    ("GET", "/api/v1/cost-rules/connections"): MANAGE_CONNECTIONS,
    ("PATCH", "/api/v1/cost-rules/{rule_id}"): MANAGE_CONNECTIONS,
    ("DELETE", "/api/v1/cost-rules/{rule_id}"): MANAGE_CONNECTIONS,
    ("GET", "/api/v1/cost-raises"): SIGNED_IN,  # one's own; admins everyone's
    ("POST", "/api/v1/cost-raises"): MANAGE_CONNECTIONS,
    ("DELETE", "/api/v1/cost-raises/{raise_id}"): MANAGE_CONNECTIONS,
    ("GET", "/api/v1/me/authorizations"): SIGNED_IN,
    ("DELETE", "/api/v1/me/authorizations/{connection}"): SIGNED_IN,
    ("GET", "/api/v1/me/favourites"): SIGNED_IN,  # one's own, of what one may still see
    ("PUT", "/api/v1/me/favourites/{kind}/{object_id}"): PRIVATE,  # (a private dashboard)
    ("DELETE", "/api/v1/me/favourites/{kind}/{object_id}"): SIGNED_IN,  # one's own star
    ("GET", "/api/v1/me/recent"): SIGNED_IN,
    ("GET", "/api/v1/audit"): VIEW_AUDIT,
    ("GET", "/api/v1/audit/export"): VIEW_AUDIT,
    ("GET", "/api/v1/audit/events"): VIEW_AUDIT,
    ("GET", "/api/v1/connection-kinds"): MANAGE_CONNECTIONS,
    ("GET", "/api/v1/connections"): USE_CONNECTIONS,
    ("POST", "/api/v1/connections"): MANAGE_CONNECTIONS,
    ("POST", "/api/v1/connections/test"): MANAGE_CONNECTIONS,
    ("GET", "/api/v1/connections/{name}"): USE_CONNECTIONS,
    ("PATCH", "/api/v1/connections/{name}"): MANAGE_CONNECTIONS,
    ("DELETE", "/api/v1/connections/{name}"): MANAGE_CONNECTIONS,
    ("POST", "/api/v1/connections/{name}/test"): MANAGE_CONNECTIONS,
    ("GET", "/api/v1/connections/{name}/catalog"): RUN_SQL,
    ("GET", "/api/v1/connections/{name}/catalog/tables/{schema}/{table}"): RUN_SQL,
    ("GET", "/api/v1/connections/{name}/catalog/search"): RUN_SQL,
    ("POST", "/api/v1/runs"): RUN_SQL,
    ("POST", "/api/v1/estimate"): RUN_SQL,
    ("GET", "/api/v1/history"): RUN_SQL,
    ("GET", "/api/v1/runs/{run_id}"): OWNER,
    ("POST", "/api/v1/runs/{run_id}/cancel"): OWNER,
    ("GET", "/api/v1/runs/{run_id}/results"): OWNER,
    ("GET", "/api/v1/runs/{run_id}/export"): OWNER,
    ("GET", "/api/v1/saved-queries"): RUN_SQL,
    ("POST", "/api/v1/saved-queries"): RUN_SQL,
    ("GET", "/api/v1/saved-queries/{saved_id}"): OWNER,
    ("PATCH", "/api/v1/saved-queries/{saved_id}"): OWNER,
    ("DELETE", "/api/v1/saved-queries/{saved_id}"): OWNER,
    ("POST", "/api/v1/saved-queries/{saved_id}/run"): OWNER,
    ("POST", "/api/v1/charts/columns"): EDIT_CHARTS,
    ("POST", "/api/v1/charts/sql"): EDIT_CHARTS,
    ("POST", "/api/v1/charts/explore"): EDIT_CHARTS,
    ("GET", "/api/v1/charts"): EDIT_CHARTS,
    ("GET", "/api/v1/charts/thumbnails"): EDIT_CHARTS,
    ("POST", "/api/v1/charts"): EDIT_CHARTS,
    ("GET", "/api/v1/charts/{chart_id}"): OWNER,
    ("PATCH", "/api/v1/charts/{chart_id}"): OWNER,
    ("DELETE", "/api/v1/charts/{chart_id}"): OWNER,
    ("GET", "/api/v1/charts/{chart_id}/data"): OWNER,
    ("GET", "/api/v1/charts/{chart_id}/export"): OWNER,
    ("GET", "/api/v1/dashboards"): SIGNED_IN,
    ("POST", "/api/v1/dashboards"): EDIT_CHARTS,
    ("GET", "/api/v1/dashboards/{dashboard_id}"): PRIVATE,
    ("PATCH", "/api/v1/dashboards/{dashboard_id}"): PRIVATE,
    ("DELETE", "/api/v1/dashboards/{dashboard_id}"): PRIVATE,
    ("PUT", "/api/v1/dashboards/{dashboard_id}/shares"): PRIVATE,
    ("POST", "/api/v1/dashboards/{dashboard_id}/charts/{chart_id}/data"): PRIVATE,
    ("GET", "/api/v1/dashboards/{dashboard_id}/filter-values"): PRIVATE,
    ("POST", "/api/v1/dashboards/{dashboard_id}/estimate"): PRIVATE,
    ("POST", "/api/v1/dashboards/{dashboard_id}/charts/{chart_id}/rows"): PRIVATE,
    ("POST", "/api/v1/dashboards/{dashboard_id}/charts/{chart_id}/rows/export"): PRIVATE,
    ("GET", "/api/v1/dashboards/{dashboard_id}/export"): EDIT_CHARTS,  # others': 404
    ("POST", "/api/v1/dashboards/import"): EDIT_CHARTS,
    ("GET", "/api/v1/schedules"): RUN_SQL,
    ("POST", "/api/v1/schedules"): RUN_SQL,
    ("GET", "/api/v1/schedules/{schedule_id}"): OWNER_OR_ADMIN,
    ("PATCH", "/api/v1/schedules/{schedule_id}"): OWNER_OR_ADMIN,
    ("DELETE", "/api/v1/schedules/{schedule_id}"): OWNER_OR_ADMIN,
    ("POST", "/api/v1/schedules/{schedule_id}/send"): OWNER_OR_ADMIN,
    ("GET", "/api/v1/schedules/{schedule_id}/deliveries"): OWNER_OR_ADMIN,
    ("GET", "/api/v1/users"): MANAGE_USERS,
    ("POST", "/api/v1/users"): MANAGE_USERS,
    ("PATCH", "/api/v1/users/{user_id}"): MANAGE_USERS,
}

GRANTS = {
    Role.ADMIN: {
        SIGNED_IN,
        RUN_SQL,
        USE_CONNECTIONS,
        MANAGE_CONNECTIONS,
        MANAGE_USERS,
        VIEW_AUDIT,
        EDIT_CHARTS,
    },
    Role.EDITOR: {SIGNED_IN, RUN_SQL, USE_CONNECTIONS, EDIT_CHARTS},
    Role.VIEWER: {SIGNED_IN, USE_CONNECTIONS},
}


@dataclass
class World:
    """Callers, and the owner's objects."""

    callers: dict[str, Client]
    roles: dict[str, Role | None]
    owner_run: str
    owner_draft: int
    owner_chart: int
    owner_dashboard: int
    owner_schedule: int


@pytest.fixture
def world(app_client: Callable[[], Client], make_user: Callable[[str, Role], str]) -> World:
    owner = app_client().login(make_user("owen", Role.EDITOR))
    run = owner.post(
        "/api/v1/runs", json={"connection": "demo", "sql": "SELECT 'secret' AS s"}
    ).json()
    draft = owner.post(
        "/api/v1/saved-queries", json={"connection": "demo", "name": "draft", "sql": "SELECT 1"}
    ).json()
    spec = {
        "type": "bar",
        "source": {"kind": "table", "schema": "main", "table": "sales"},
        "dimensions": ["category"],
        "metrics": [{"agg": "count"}],
        "filters": [{"column": "status", "op": "eq", "value": "secret"}],
    }
    chart = owner.post(
        "/api/v1/charts", json={"name": "secret chart", "connection": "demo", "spec": spec}
    ).json()
    dashboard = owner.post("/api/v1/dashboards", json={"title": "secret board"}).json()
    tile = {"id": "t1", "kind": "chart", "chart_id": chart["id"], "x": 0, "y": 0, "w": 6, "h": 4}
    owner.patch(f"/api/v1/dashboards/{dashboard['id']}", json={"layout": {"tiles": [tile]}})
    schedule = owner.post(
        "/api/v1/schedules",
        json={
            "name": "secret schedule",
            "target": {"kind": "saved_query", "id": draft["id"]},
            "cron": "0 8 * * 1",
            "recipients": ["secret@example.com"],
        },
    ).json()
    callers = {
        "owner": owner,
        "admin": app_client().login(),
        "other editor": app_client().login(make_user("edna", Role.EDITOR)),
        "viewer": app_client().login(make_user("vic", Role.VIEWER)),
        "anonymous": app_client(),
    }
    callers["anonymous"].get("/api/v1/auth/csrf")
    roles: dict[str, Role | None] = {
        "owner": Role.EDITOR,
        "admin": Role.ADMIN,
        "other editor": Role.EDITOR,
        "viewer": Role.VIEWER,
        "anonymous": None,
    }
    return World(
        callers, roles, run["id"], draft["id"], chart["id"], dashboard["id"], schedule["id"]
    )


def test_the_table_names_every_route(services: Services) -> None:
    with app_clients(services) as clients:
        paths = clients.app.openapi()["paths"]
    found = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1/")
        for method in operations
    }
    assert found == set(ROUTES), f"routes without an access rule: {found - set(ROUTES)}"


def _path(template: str, world: World, caller: str, allowed: bool) -> str:
    """Fill path parameters: real objects for those who must be refused, harmless targets
    for those who may call (so that nothing shared is destroyed along the way)."""
    values: dict[str, Any] = {
        "run_id": world.owner_run,
        "saved_id": world.owner_draft,
        "name": "demo" if not allowed else "zz-missing",
        "connection": "demo",
        "schema": "main",
        "table": "orders",
        "user_id": 999_999 if allowed else 1,
        "chart_id": world.owner_chart,
        "dashboard_id": world.owner_dashboard,
        "schedule_id": world.owner_schedule,
        "rule_id": 999_999,
        "raise_id": 999_999,
        "kind": "dashboard",
        "object_id": world.owner_dashboard,
    }
    if template.startswith("/api/v1/connections/{name}/catalog"):
        values["name"] = "demo"
    return template.format(**values)


@pytest.mark.parametrize("caller", ["owner", "admin", "other editor", "viewer", "anonymous"])
def test_who_may_call_what(world: World, caller: str) -> None:
    client = world.callers[caller]
    role = world.roles[caller]
    order = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 2, "DELETE": 3}  # destructive calls last
    for (method, template), rule in sorted(ROUTES.items(), key=lambda r: (order[r[0][0]], r[0][1])):
        if rule == ELSEWHERE:
            continue
        granted = role is not None and (
            rule == PUBLIC
            or rule in GRANTS[role]
            or (rule in (OWNER, OWNER_OR_ADMIN) and RUN_SQL in GRANTS[role])
        )
        if rule == PUBLIC or (rule == PRIVATE and role is not None):
            granted = True
        path = _path(template, world, caller, granted)
        body = {"shares": []} if method == "PUT" else {} if method in ("POST", "PATCH") else None
        response = client.request(method, path, json=body)
        where = f"{caller}: {method} {path} -> {response.status_code} {response.text[:200]}"
        assert "Traceback" not in response.text, where
        assert response.status_code < 500, where
        if role is None and rule != PUBLIC:
            assert response.status_code == 401, where
        elif not granted:
            assert response.status_code == 403, where
        elif rule in (OWNER, PRIVATE, OWNER_OR_ADMIN):
            expected_ok = caller == "owner" or (rule == OWNER_OR_ADMIN and caller == "admin")
            if expected_ok:
                assert response.status_code not in (401, 403, 404), where
            else:
                assert response.status_code == 404, where
                assert "secret" not in response.text, where
        else:
            assert response.status_code not in (401, 403), where


def test_nothing_was_lost(world: World) -> None:
    for caller in ("admin", "other editor", "viewer", "anonymous"):
        test_who_may_call_what(world, caller)
    owner = world.callers["owner"]
    assert owner.get(f"/api/v1/runs/{world.owner_run}").json()["status"] == "succeeded"
    assert owner.get(f"/api/v1/saved-queries/{world.owner_draft}").json()["name"] == "draft"
    assert owner.get(f"/api/v1/charts/{world.owner_chart}").json()["name"] == "secret chart"
    board = owner.get(f"/api/v1/dashboards/{world.owner_dashboard}").json()
    assert (board["title"], len(board["layout"]["tiles"])) == ("secret board", 1)
    admin = world.callers["admin"]
    assert admin.get("/api/v1/connections/demo").status_code == 200
    assert {u["username"] for u in admin.get("/api/v1/users").json()} >= {
        "admin",
        "owen",
        "edna",
        "vic",
    }


def test_history_holds_only_your_runs(world: World) -> None:
    for caller in ("admin", "other editor"):
        runs = world.callers[caller].get("/api/v1/history").json()["runs"]
        assert world.owner_run not in {r["id"] for r in runs}
    owned = world.callers["owner"].get("/api/v1/history").json()["runs"]
    assert world.owner_run in [r["id"] for r in owned]
    # the chart's LIMIT 0 column probe is the builder's, not a run the owner made
    assert {r["surface"] for r in owned} == {"api"}
