"""Budget alerts in the app: below the top bar of every page until dismissed. The demo has no
connection billed by bytes, so the notices endpoint's answer (as tests/costs/test_alerts.py
makes it for real) is served by request routing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import APIRequestContext, Page, Route, expect

from tests.e2e.conftest import ready

pytestmark = pytest.mark.e2e

TB = 1024**4
NOTICES = [
    {
        "id": 7,
        "connection": "bq",
        "scope": "user",
        "who": "admin",
        "period": "day",
        "period_start": "2026-12-07",
        "level": 80,
        "spent": 820 * 1024**3,
        "budget": TB,
        "at": "2026-12-07T10:00:00Z",
        "resets_at": "2026-12-08T00:00:00Z",
        "message": "Your daily budget of 1.0 TB on bq is at 80% (820.0 GB billed); it resets "
        "at 00:00 on 8 Dec 2026, UTC.",
    },
    {
        "id": 8,
        "connection": "bq",
        "scope": "group",
        "who": "group analysts",
        "period": "month",
        "period_start": "2026-12",
        "level": 100,
        "spent": 5 * TB,
        "budget": 5 * TB,
        "at": "2026-12-07T11:00:00Z",
        "resets_at": "2027-01-01T00:00:00Z",
        "message": "Group analysts' monthly budget of 5.0 TB on bq is used up (5.0 TB billed); "
        "it resets at 00:00 on 1 Jan 2027, UTC.",
    },
]


def test_budget_alerts_show_on_every_page_until_dismissed(admin_page: Page) -> None:
    page = admin_page

    def notices(route: Route) -> None:
        route.fulfill(json=NOTICES)

    page.route("**/api/v1/me/budget-notices", notices)
    page.goto("/dashboards")
    ready(page)
    shown = page.get_by_test_id("budget-notice")
    expect(shown).to_have_count(2)
    expect(shown.first).to_contain_text("Group analysts' monthly budget of 5.0 TB on bq is used up")
    expect(shown.nth(1)).to_contain_text("Your daily budget of 1.0 TB on bq is at 80%")
    shown.first.get_by_role("link", name="See the spend").click()
    expect(page).to_have_url(re.compile(r"/spend$"))
    ready(page)
    expect(page.get_by_test_id("budget-notice")).to_have_count(2)
    page.get_by_test_id("budget-notice").first.get_by_role(
        "button", name="Dismiss this alert"
    ).click()
    expect(page.get_by_test_id("budget-notice")).to_have_count(1)
    page.goto("/sqllab")
    ready(page)
    expect(page.get_by_test_id("budget-notice")).to_have_count(1)
    expect(page.get_by_test_id("budget-notice")).to_contain_text("Your daily budget")


def test_the_alerts_are_read_once_a_minute_per_person_not_on_every_page(
    page_as: Callable[[str, str], Page], admin_api: APIRequestContext
) -> None:
    page = page_as("noa", "editor")
    asked: list[str] = []

    def notices(route: Route) -> None:
        asked.append(route.request.url)
        route.fulfill(json=NOTICES)

    page.route("**/api/v1/me/budget-notices", notices)
    for path in ("/dashboards", "/charts", "/sqllab"):
        page.goto(path)
        ready(page)
        expect(page.get_by_test_id("budget-notice")).to_have_count(2)
    assert len(asked) == 1  # kept in the tab for a minute

    # Someone else signing in in the same tab reads their own.
    made = admin_api.post(
        "/api/v1/users", data={"username": "ned", "password": "ned-password", "role": "editor"}
    )
    assert made.ok, made.text()
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username").fill("ned")
    page.get_by_label("Password").fill("ned-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".topbar .username")).to_have_text("ned")
    expect(page.get_by_test_id("budget-notice")).to_have_count(2)
    assert len(asked) == 2
