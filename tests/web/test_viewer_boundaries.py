"""What a dashboard viewer can learn: filter values and tile filters only on the columns the
dashboard's filters declare, a chart's SQL only if its owner shows it to viewers, and a
connection's name and kind only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from belvedere.auth.roles import Role
from tests.support.web.client import Client

CUSTOMERS = {"kind": "table", "schema": "main", "table": "customers"}
PRIVATE_SQL = "SELECT region, email FROM customers WHERE email LIKE '%7@example.com'"


@dataclass
class Board:
    """An owner's dashboard shared with a viewer and with an editor (both other users)."""

    id: int
    by_region: int
    on_saved_query: int
    owner: Client
    viewer: Client
    editor: Client

    def data(self, client: Client, chart_id: int, **body: Any) -> Any:
        return client.post(f"/api/v1/dashboards/{self.id}/charts/{chart_id}/data", json=body)

    def values(self, client: Client, column: str) -> Any:
        return client.get(f"/api/v1/dashboards/{self.id}/filter-values", params={"column": column})


def _chart(client: Client, name: str, spec: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"name": name, "connection": "demo", "spec": spec, **extra}
    response = client.post("/api/v1/charts", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def board(app_client: Callable[[], Client], make_user: Callable[[str, Role], str]) -> Board:
    """A count of customers by region (its only chart on the table, which has e-mails) and a
    chart on the owner's private saved query; the dashboard declares a filter on region."""
    owner = app_client().login(make_user("olive", Role.EDITOR))
    by_region = _chart(
        owner,
        "Customers by region",
        {
            "type": "bar",
            "source": CUSTOMERS,
            "dimensions": ["region"],
            "metrics": [{"agg": "count"}],
        },
    )
    saved = owner.post(
        "/api/v1/saved-queries", json={"connection": "demo", "name": "mine", "sql": PRIVATE_SQL}
    ).json()
    on_saved = _chart(
        owner,
        "Sevens",
        {
            "type": "big_number",
            "source": {"kind": "saved_query", "saved_query_id": saved["id"]},
            "metrics": [{"agg": "count"}],
        },
    )
    dashboard = owner.post("/api/v1/dashboards", json={"title": "Customers"}).json()
    tiles = [
        {"id": "a", "kind": "chart", "chart_id": by_region["id"], "x": 0, "y": 0, "w": 6, "h": 4},
        {"id": "b", "kind": "chart", "chart_id": on_saved["id"], "x": 6, "y": 0, "w": 6, "h": 4},
    ]
    changed = owner.patch(
        f"/api/v1/dashboards/{dashboard['id']}",
        json={
            "layout": {"tiles": tiles},
            "filters": [{"column": "region", "kind": "values", "label": "Region"}],
        },
    )
    assert changed.status_code == 200, changed.text
    make_user("vera", Role.VIEWER)
    make_user("eddie", Role.EDITOR)
    shares = [{"user": "vera", "access": "viewer"}, {"user": "eddie", "access": "viewer"}]
    shared = owner.put(f"/api/v1/dashboards/{dashboard['id']}/shares", json={"shares": shares})
    assert shared.status_code == 200, shared.text
    return Board(
        id=dashboard["id"],
        by_region=by_region["id"],
        on_saved_query=on_saved["id"],
        owner=owner,
        viewer=app_client().login("vera"),
        editor=app_client().login("eddie"),
    )


# -- filter values and tile filters ----------------------------------------------------------


def test_a_viewer_lists_the_values_of_declared_filters_only(board: Board) -> None:
    regions = board.values(board.viewer, "region")
    assert regions.status_code == 200 and "Europe" in regions.json()["values"]
    for caller in (board.viewer, board.editor):
        emails = board.values(caller, "email")
        assert emails.status_code == 403, emails.text
        assert emails.json()["error"]["code"] == "filter_not_declared"
        assert "email" in emails.json()["error"]["message"]
        assert "@example.com" not in emails.text


def test_a_viewer_filters_tiles_on_declared_columns_only(board: Board) -> None:
    europe = board.data(
        board.viewer, board.by_region, filters=[{"column": "region", "values": ["Europe"]}]
    )
    assert europe.status_code == 200, europe.text
    assert [row[0] for row in europe.json()["rows"]] == ["Europe"]
    one_customer = [{"column": "customer_id", "values": [1]}]
    for caller in (board.viewer, board.editor):
        probed = board.data(caller, board.by_region, filters=one_customer)
        assert probed.status_code == 403, probed.text
        assert probed.json()["error"]["code"] == "filter_not_declared"
    ranged = board.data(
        board.viewer, board.by_region, filters=[{"column": "email", "start": "2024-01-01"}]
    )
    assert ranged.status_code == 403


def test_the_owner_filters_on_any_column_of_the_charts(board: Board) -> None:
    """A chart builder editing the dashboard tries a filter before declaring it."""
    emails = board.values(board.owner, "email")
    assert emails.status_code == 200 and len(emails.json()["values"]) > 10
    one = board.data(
        board.owner, board.by_region, filters=[{"column": "customer_id", "values": [1]}]
    )
    assert one.status_code == 200 and sum(row[1] for row in one.json()["rows"]) == 1


def test_a_dashboard_editor_who_builds_charts_may_filter_anywhere(board: Board) -> None:
    board.owner.put(
        f"/api/v1/dashboards/{board.id}/shares",
        json={
            "shares": [{"user": "eddie", "access": "editor"}, {"user": "vera", "access": "viewer"}]
        },
    )
    assert board.values(board.editor, "email").status_code == 200
    assert board.values(board.viewer, "email").status_code == 403


def test_a_viewer_made_dashboard_editor_cannot_declare_a_new_filter(board: Board) -> None:
    board.owner.put(
        f"/api/v1/dashboards/{board.id}/shares",
        json={"shares": [{"user": "vera", "access": "editor"}]},
    )
    filters = [
        {"column": "region", "kind": "values", "label": "Region"},
        {"column": "email", "kind": "values"},
    ]
    refused = board.viewer.patch(f"/api/v1/dashboards/{board.id}", json={"filters": filters})
    assert refused.status_code == 403 and "email" in refused.json()["error"]["message"]
    assert board.values(board.viewer, "email").status_code == 403
    relabelled = board.viewer.patch(
        f"/api/v1/dashboards/{board.id}",
        json={"filters": [{"column": "region", "kind": "values", "label": "Where"}], "title": "C"},
    )
    assert relabelled.status_code == 200, relabelled.text
    assert relabelled.json()["filters"][0]["label"] == "Where"


# -- chart SQL -------------------------------------------------------------------------------


def test_chart_sql_reaches_viewers_only_when_the_owner_shows_it(board: Board) -> None:
    mine = board.data(board.owner, board.on_saved_query)
    assert mine.status_code == 200 and "7@example.com" in mine.json()["sql"]
    for caller in (board.viewer, board.editor):
        seen = board.data(caller, board.on_saved_query)
        assert seen.status_code == 200 and seen.json()["rows"], seen.text
        assert seen.json()["sql"] is None
        assert "7@example.com" not in seen.text and "customers" not in seen.text
    chart = board.owner.get(f"/api/v1/charts/{board.on_saved_query}").json()
    assert chart["show_sql_to_viewers"] is False
    shown = board.owner.patch(
        f"/api/v1/charts/{board.on_saved_query}", json={"show_sql_to_viewers": True}
    )
    assert shown.status_code == 200 and shown.json()["show_sql_to_viewers"] is True
    assert "7@example.com" in board.data(board.viewer, board.on_saved_query).json()["sql"]
    kept = board.owner.patch(f"/api/v1/charts/{board.on_saved_query}", json={"name": "Sevens!"})
    assert kept.json()["show_sql_to_viewers"] is True


def test_an_editor_viewing_a_dashboard_finds_no_chart_sql_in_their_run_history(
    board: Board,
) -> None:
    """The editor's own runs of another person's dashboard chart keep its SQL (which inlines the
    owner's private saved query) out of the runs API."""
    seen = board.data(board.editor, board.on_saved_query)
    assert seen.status_code == 200 and seen.json()["sql"] is None
    runs = board.editor.get("/api/v1/history").json()["runs"]
    dashboard_runs = [r for r in runs if r["surface"] == "dashboard"]
    assert dashboard_runs, runs
    assert all(r["sql"] == "" and r["sql_hidden"] for r in dashboard_runs)
    one = board.editor.get(f"/api/v1/runs/{dashboard_runs[0]['id']}")
    assert one.status_code == 200 and one.json()["sql"] == ""
    assert "7@example.com" not in board.editor.get("/api/v1/history").text


def test_the_flag_is_set_when_a_chart_is_created(client: Client) -> None:
    spec = {
        "type": "bar",
        "source": CUSTOMERS,
        "dimensions": ["region"],
        "metrics": [{"agg": "count"}],
    }
    assert _chart(client, "open", spec, show_sql_to_viewers=True)["show_sql_to_viewers"] is True
    assert _chart(client, "closed", spec)["show_sql_to_viewers"] is False
    listed = {
        c["name"]: c["show_sql_to_viewers"] for c in client.get("/api/v1/charts").json()["charts"]
    }
    assert listed == {"open": True, "closed": False}


# -- connections -----------------------------------------------------------------------------


def test_a_viewer_sees_a_connections_name_and_kind_only(board: Board) -> None:
    listed = board.viewer.get("/api/v1/connections")
    assert listed.status_code == 200
    assert listed.json() == [{"name": "demo", "kind": "duckdb"}]
    assert board.viewer.get("/api/v1/connections/demo").json() == {"name": "demo", "kind": "duckdb"}
    assert ".duckdb" not in listed.text
    for caller in (board.editor, board.owner):
        full = caller.get("/api/v1/connections").json()[0]
        assert full["dialect"] == "duckdb" and "path" in full["options"]


def test_a_failing_chart_tells_viewers_why_without_its_sql(board: Board) -> None:
    chart = board.owner.get(f"/api/v1/charts/{board.on_saved_query}").json()
    saved_id = chart["spec"]["source"]["saved_query_id"]
    broken = "SELECT region, nope FROM customers WHERE email LIKE '%7@example.com'"
    changed = board.owner.patch(f"/api/v1/saved-queries/{saved_id}", json={"sql": broken})
    assert changed.status_code == 200, changed.text
    mine = board.data(board.owner, board.on_saved_query)
    assert mine.status_code == 400 and mine.json()["error"]["line"] is not None
    seen = board.data(board.viewer, board.on_saved_query)
    assert seen.status_code == 400, seen.text
    error = seen.json()["error"]
    assert "nope" in error["message"] and "Candidate" in mine.json()["error"]["message"]
    assert "Candidate" not in error["message"] and "LINE" not in error["message"]
    assert error.get("line") is None and "7@example.com" not in seen.text
