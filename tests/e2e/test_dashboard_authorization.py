"""A dashboard tile on a per-user connection the viewer has not authorized shows the prompt to
connect their Google account, leading back to this dashboard, and the other tiles still draw.
The server's `authorization_required` answer is served by request routing (the demo is
DuckDB); the real flow behind it is tested in tests/identity."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import APIRequestContext, Page, Route, expect

pytestmark = pytest.mark.e2e

SLOW = 30_000
REQUIRED = {
    "error": {
        "code": "authorization_required",
        "message": "Connect your Google account to query demo.",
        "connection": "demo",
        "authorize_url": "/auth/warehouse/start?connection=demo&next=%2Fsqllab",
    }
}


def _chart(api: APIRequestContext, name: str, dimension: str) -> int:
    spec = {
        "type": "bar",
        "source": {"kind": "table", "schema": "main", "table": "sales"},
        "dimensions": [dimension],
        "metrics": [{"agg": "count"}],
    }
    response = api.post("/api/v1/charts", data={"name": name, "connection": "demo", "spec": spec})
    assert response.status == 201, response.text()
    return int(response.json()["id"])


def test_a_tile_asks_to_connect_and_the_others_draw(
    admin_page: Page, admin_api: APIRequestContext
) -> None:
    needs = _chart(admin_api, "Needs a grant", "region")
    fine = _chart(admin_api, "Draws", "channel")
    board = admin_api.post("/api/v1/dashboards", data={"title": "Grants"}).json()
    tiles = [
        {"id": "a", "kind": "chart", "chart_id": needs, "x": 0, "y": 0, "w": 6, "h": 4},
        {"id": "b", "kind": "chart", "chart_id": fine, "x": 6, "y": 0, "w": 6, "h": 4},
    ]
    admin_api.patch(f"/api/v1/dashboards/{board['id']}", data={"layout": {"tiles": tiles}})

    def required(route: Route) -> None:
        route.fulfill(status=403, content_type="application/json", body=json.dumps(REQUIRED))

    page = admin_page
    page.route(f"**/api/v1/dashboards/{board['id']}/charts/{needs}/data", required)
    page.goto(f"/dashboards/{board['id']}")

    asking = page.locator(f"[data-testid=dashboard-tile][data-chart-id='{needs}']")
    prompt = asking.get_by_test_id("authorize-prompt")
    expect(prompt).to_contain_text("Connect your Google account to query demo.", timeout=SLOW)
    link = prompt.get_by_role("link", name="Connect your Google account")
    href = link.get_attribute("href") or ""
    query = parse_qs(urlsplit(href).query)
    assert query == {"connection": ["demo"], "next": [f"/dashboards/{board['id']}"]}, href

    drawn: Any = page.locator(f"[data-testid=dashboard-tile][data-chart-id='{fine}']")
    expect(drawn).to_have_attribute("data-state", "ready", timeout=SLOW)
    expect(drawn.locator("g.mark-rect path")).not_to_have_count(0)
