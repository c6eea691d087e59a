"""Per-user connections in SQL Lab: the prompt to connect your Google account wherever the
server answers `authorization_required` (results, schema sidebar, estimate), the indicator in
the connection picker with its Disconnect action, and the way back from Google. The server's
answers are served by request routing (the demo is DuckDB); the real OAuth flow is tested in
tests/identity."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.sqllab import open_sqllab, type_sql

pytestmark = pytest.mark.e2e

AUTHORIZE_URL = "/auth/warehouse/start?connection=demo&next=%2Fsqllab"
REQUIRED = {
    "error": {
        "code": "authorization_required",
        "message": "Connect your Google account to query demo.",
        "connection": "demo",
        "authorize_url": AUTHORIZE_URL,
    }
}


def answer(status: int, body: Any) -> Any:
    def fulfill(route: Route) -> None:
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    return fulfill


def grants(page: Page, authorized: bool) -> list[dict[str, Any]]:
    """Serve GET /me/authorizations: demo is a per-user connection (the list can change)."""
    state = [{"connection": "demo", "authorized": authorized, "authorize_url": AUTHORIZE_URL}]
    page.route("**/api/v1/me/authorizations", lambda route: answer(200, state)(route))
    return state


def test_a_run_asks_to_connect_and_the_way_back_just_works(admin_page: Page) -> None:
    page = admin_page
    state = grants(page, authorized=False)
    open_sqllab(page)
    chip = page.get_by_test_id("identity-chip")
    expect(chip).to_have_text(re.compile("Your Google account: not connected"))
    expect(page.locator("#connection option[value=demo]")).to_have_text("demo (duckdb, as you)")

    page.route("**/api/v1/runs", answer(403, REQUIRED))
    type_sql(page, "SELECT 'kept across the trip' AS note")
    page.locator("#run").click()
    prompt = page.locator("#results").get_by_test_id("authorize-prompt")
    expect(prompt).to_contain_text("Connect your Google account to query demo.")
    expect(page.get_by_test_id("run-error")).to_have_count(0)  # a prompt, not an error
    expect(page.locator("#run-status")).to_have_text("Not connected")
    link = prompt.get_by_role("link", name="Connect your Google account")
    expect(link).to_have_attribute("href", AUTHORIZE_URL)

    # Google's round trip, played by the route: the server sends the browser back to SQL Lab.
    page.route(
        "**/auth/warehouse/start?*",
        lambda route: route.fulfill(status=303, headers={"Location": "/sqllab"}),
    )
    page.unroute("**/api/v1/runs")
    state[0]["authorized"] = True
    link.click()
    expect(page).to_have_url(re.compile(r"/sqllab$"))
    expect(page.get_by_test_id("authorized-notice")).to_have_text(
        "Your Google account is connected: queries on demo run as you."
    )
    expect(chip).to_have_text(re.compile("Your Google account: connected"))
    expect(page.locator(".cm-content")).to_have_text("SELECT 'kept across the trip' AS note")
    page.locator("#run").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded")


def test_a_revoked_grant_fails_the_run_with_the_same_prompt(admin_page: Page) -> None:
    page = admin_page
    grants(page, authorized=True)
    open_sqllab(page)
    run = {
        "id": "r-revoked",
        "connection": "demo",
        "surface": "sqllab",
        "sql": "SELECT 1",
        "status": "running",
        "error": None,
        "submitted_at": "2030-01-01T00:00:00Z",
        "elapsed_ms": 10,
        "row_count": None,
        "truncated": False,
    }
    page.route("**/api/v1/runs", answer(202, run))
    failed = {
        **run,
        "status": "failed",
        "error": {"code": "authorization_required", "message": "Your grant was revoked."},
    }
    page.route(re.compile(r"/api/v1/runs/r-revoked\b"), answer(200, failed))
    type_sql(page, "SELECT 1")
    page.locator("#run").click()
    prompt = page.locator("#results").get_by_test_id("authorize-prompt")
    expect(prompt).to_contain_text("Your grant was revoked.")
    expect(prompt.get_by_role("link", name="Connect your Google account")).to_have_attribute(
        "href", AUTHORIZE_URL
    )
    expect(page.get_by_test_id("identity-chip")).to_have_text(re.compile("not connected"))


def test_sidebar_and_estimate_prompt_and_disconnect(admin_page: Page) -> None:
    page = admin_page
    state = grants(page, authorized=False)
    page.route("**/api/v1/connections/demo/catalog*", answer(403, REQUIRED))
    page.route("**/api/v1/estimate", answer(403, REQUIRED))
    page.goto("/sqllab")
    sidebar = page.get_by_test_id("schema-tree").get_by_test_id("authorize-prompt")
    expect(sidebar.get_by_role("link", name="Connect your Google account")).to_have_attribute(
        "href", AUTHORIZE_URL
    )
    type_sql(page, "SELECT 1")
    estimate = page.get_by_test_id("estimate")
    expect(estimate).to_have_attribute("data-state", "authorize")
    expect(estimate.get_by_role("link", name="Connect your Google account")).to_have_attribute(
        "href", AUTHORIZE_URL
    )

    # Authorized: the menu of the indicator disconnects (the server forgets the grant).
    page.unroute("**/api/v1/connections/demo/catalog*")
    state[0]["authorized"] = True
    page.reload()
    expect(page.get_by_role("button", name="orders", exact=True)).to_be_visible()
    chip = page.get_by_test_id("identity-chip")
    expect(chip).to_have_text(re.compile("connected"))
    page.route("**/api/v1/me/authorizations/demo", lambda route: route.fulfill(status=204))
    chip.click()
    with page.expect_request(
        lambda r: r.method == "DELETE" and r.url.endswith("/api/v1/me/authorizations/demo")
    ):
        page.get_by_test_id("identity-disconnect").click()
    expect(chip).to_have_text(re.compile("not connected"))
