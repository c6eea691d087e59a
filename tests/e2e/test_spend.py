"""The Spend page: Belvedere's own charts of what queries billed, each person seeing their own
runs (an admin everyone's), and the admins' Rules tab."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, BrowserContext, Page, expect

from tests.e2e.conftest import ready

pytestmark = pytest.mark.e2e

SLOW = 30_000
BQ = "spend-bq"


@pytest.fixture
def billed_connection(admin_api: APIRequestContext) -> Iterator[str]:
    """A BigQuery connection (never queried here: rules are only written), removed after."""
    options = {"project": "spend-project", "auth": "none", "api_endpoint": "http://127.0.0.1:9"}
    added = admin_api.post(
        "/api/v1/connections", data={"name": BQ, "kind": "bigquery", "options": options}
    )
    assert added.ok, added.text()
    yield BQ
    for rule in admin_api.get(f"/api/v1/cost-rules?connection={BQ}").json():
        admin_api.delete(f"/api/v1/cost-rules/{rule['id']}")
    admin_api.delete(f"/api/v1/connections/{BQ}")


def open_spend(page: Page) -> None:
    page.goto("/spend")
    ready(page)
    page.get_by_test_id("spend-metric").select_option("runs")


def test_each_person_sees_charts_of_their_own_runs(
    admin_page: Page, admin_api: APIRequestContext, page_as: Callable[[str, str], Page]
) -> None:
    ran = admin_api.post(
        "/api/v1/runs", data={"connection": "demo", "sql": "SELECT 1 AS one", "wait_ms": 30_000}
    )
    assert ran.ok and ran.json()["status"] == "succeeded", ran.text()
    spec = {
        "type": "bar",
        "source": {"kind": "table", "schema": "main", "table": "sales"},
        "dimensions": ["channel"],
        "metrics": [{"agg": "count"}],
    }
    chart = admin_api.post(
        "/api/v1/charts", data={"name": "Channels", "connection": "demo", "spec": spec}
    ).json()
    board = admin_api.post("/api/v1/dashboards", data={"title": "Spent on"}).json()
    tile = {"id": "a", "kind": "chart", "chart_id": chart["id"], "x": 0, "y": 0, "w": 6, "h": 4}
    admin_api.patch(f"/api/v1/dashboards/{board['id']}", data={"layout": {"tiles": [tile]}})
    viewer = page_as("penny", "viewer")
    shares = {"shares": [{"user": "penny", "access": "viewer"}]}
    admin_api.put(f"/api/v1/dashboards/{board['id']}/shares", data=shares)
    viewer.goto(f"/dashboards/{board['id']}")
    expect(viewer.get_by_test_id("dashboard-tile")).to_have_attribute(
        "data-state", "ready", timeout=SLOW
    )

    # The viewer: one run, from the dashboard; no chart by user.
    viewer.get_by_test_id("nav-spend").click()
    ready(viewer)
    viewer.get_by_test_id("spend-metric").select_option("runs")
    surfaces = viewer.get_by_test_id("spend-chart-by_surface")
    expect(surfaces.get_by_test_id("vega-chart")).to_be_visible(timeout=SLOW)
    expect(surfaces).to_contain_text("dashboard")
    expect(surfaces).not_to_contain_text("api")
    expect(viewer.get_by_test_id("spend-chart-by_dashboard")).to_contain_text("Spent on")
    expect(viewer.get_by_test_id("spend-chart-by_user")).to_have_count(0)

    # The admin: everyone's runs, by user too.
    open_spend(admin_page)
    users = admin_page.get_by_test_id("spend-chart-by_user")
    expect(users.get_by_test_id("vega-chart")).to_be_visible(timeout=SLOW)
    expect(users).to_contain_text("penny")
    expect(users).to_contain_text("admin")
    expect(admin_page.get_by_test_id("spend-chart-by_surface")).to_contain_text("api")
    over_time = admin_page.get_by_test_id("spend-chart-over_time")
    expect(over_time.get_by_test_id("vega-chart")).to_be_visible()


def test_an_admin_adds_a_rule_in_the_rules_tab(admin_page: Page, billed_connection: str) -> None:
    admin_page.goto("/spend?tab=rules")
    ready(admin_page)
    expect(admin_page.get_by_test_id("rules-demo")).to_contain_text(
        "not billed by bytes", ignore_case=True
    )
    card = admin_page.get_by_test_id(f"rules-{billed_connection}")
    card.get_by_test_id("add-rule").click()
    dialog = admin_page.get_by_test_id("rule-dialog")
    dialog.get_by_test_id("rule-scope").select_option("role")
    dialog.get_by_test_id("rule-subject").fill("viewer")
    dialog.get_by_test_id("rule-max_bytes_per_query").fill("100 GB")
    dialog.get_by_test_id("rule-daily_bytes").fill("1 TB")
    dialog.get_by_test_id("rule-save").click()
    expect(dialog).to_be_hidden()
    row = card.get_by_test_id("rule-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("role viewer")
    expect(row).to_contain_text("100.0 GB")
    expect(row).to_contain_text("1.0 TB")


def test_a_person_takes_their_browsers_time_zone_for_their_days(
    admin_api: APIRequestContext,
    new_context: Callable[..., BrowserContext],
    sign_in_state: Callable[[str, str], dict[str, Any]],
) -> None:
    created = admin_api.post(
        "/api/v1/users",
        data={"username": "tomoko", "password": "tomoko-password", "role": "viewer"},
    )
    assert created.ok, created.text()
    context = new_context(
        storage_state=sign_in_state("tomoko", "tomoko-password"), timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    page.goto("/spend")
    ready(page)
    zone = page.get_by_test_id("spend-zone")
    expect(zone).to_have_text(
        "Days and budgets follow the server's time zone, UTC. Use yours, Asia/Tokyo"
    )
    page.get_by_test_id("spend-use-zone").click()
    expect(zone).to_have_text("Days and budgets follow your time zone, Asia/Tokyo.")
    page.reload()
    ready(page)
    expect(zone).to_have_text("Days and budgets follow your time zone, Asia/Tokyo.")
    users = admin_api.get("/api/v1/users").json()
    assert next(u for u in users if u["username"] == "tomoko")["timezone"] == "Asia/Tokyo"
