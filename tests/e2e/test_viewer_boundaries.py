"""What a viewer's browser shows: a tile's "SQL" button only when the chart's owner shows its
SQL to viewers (the owner always has it, and turns it on or off in the chart builder), and
connections without their options."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

pytestmark = pytest.mark.e2e

SLOW = 30_000


def test_the_sql_button_follows_the_owners_choice(
    admin_page: Page, admin_api: APIRequestContext, page_as: Callable[[str, str], Page]
) -> None:
    spec = {
        "type": "bar",
        "source": {"kind": "table", "schema": "main", "table": "sales"},
        "dimensions": ["channel"],
        "metrics": [{"agg": "count"}],
    }
    made = admin_api.post(
        "/api/v1/charts", data={"name": "By channel", "connection": "demo", "spec": spec}
    )
    assert made.status == 201, made.text()
    chart_id = made.json()["id"]
    board = admin_api.post("/api/v1/dashboards", data={"title": "Open book"}).json()
    tile = {"id": "a", "kind": "chart", "chart_id": chart_id, "x": 0, "y": 0, "w": 6, "h": 4}
    admin_api.patch(f"/api/v1/dashboards/{board['id']}", data={"layout": {"tiles": [tile]}})
    viewer = page_as("vivian", "viewer")
    shares = {"shares": [{"user": "vivian", "access": "viewer"}]}
    admin_api.put(f"/api/v1/dashboards/{board['id']}/shares", data=shares)

    def shown(page: Page) -> None:
        page.goto(f"/dashboards/{board['id']}")
        expect(page.get_by_test_id("dashboard-tile")).to_have_attribute(
            "data-state", "ready", timeout=SLOW
        )

    shown(admin_page)
    admin_page.get_by_test_id("tile-view-sql").click()
    expect(admin_page.get_by_test_id("tile-sql")).to_contain_text('"channel"')

    shown(viewer)
    expect(viewer.get_by_test_id("tile-view-sql")).to_be_hidden()
    admin_api.patch(f"/api/v1/charts/{chart_id}", data={"show_sql_to_viewers": True})
    shown(viewer)
    viewer.get_by_test_id("tile-view-sql").click()
    expect(viewer.get_by_test_id("tile-sql")).to_contain_text('"channel"')

    # The owner turns it off again in the chart builder's save dialog.
    admin_page.goto(f"/charts/{chart_id}")
    admin_page.get_by_test_id("chart-save").click()
    box = admin_page.get_by_test_id("chart-save-show-sql")
    expect(box).to_be_checked()
    box.uncheck()
    admin_page.get_by_test_id("chart-save-submit").click()
    expect(admin_page.get_by_test_id("chart-save-dialog")).to_have_count(0)
    assert admin_api.get(f"/api/v1/charts/{chart_id}").json()["show_sql_to_viewers"] is False
    shown(viewer)
    expect(viewer.get_by_test_id("tile-view-sql")).to_be_hidden()

    viewer.goto("/connections")
    table = viewer.locator("#connections-table")
    expect(table.locator("tr[data-connection='demo']")).to_contain_text("duckdb")
    expect(table).not_to_contain_text("Options")
    expect(table).not_to_contain_text(".duckdb")
