"""Home: favourites starred from the lists and from Home itself stay after a reload, a query
run in SQL Lab shows and opens again, and nobody sees another user's private items there."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import ready
from tests.e2e.sqllab import open_sqllab, run_sql
from tests.e2e.test_schedules import Api

pytestmark = pytest.mark.e2e

BAR = {
    "type": "bar",
    "source": {"kind": "table", "schema": "main", "table": "sales"},
    "dimensions": ["category"],
    "metrics": [{"agg": "count"}],
}
QUERY = "SELECT 'home sweet home' AS greeting"


def section(page: Page, name: str) -> Locator:
    return page.get_by_test_id(f"home-{name}")


def open_home(page: Page) -> Page:
    page.goto("/")
    ready(page)
    expect(section(page, "favourites").locator(".home-list")).not_to_contain_text("Loading")
    return page


def test_star_a_chart_and_a_dashboard_and_find_them_at_home(
    page_as: Callable[[str, str], Page],
) -> None:
    page = page_as("hana", "editor")
    open_home(page)
    # a new user: each section says what to do
    expect(section(page, "favourites")).to_contain_text("No favourites yet. Star ☆")
    expect(section(page, "queries")).to_contain_text("No queries yet. Open SQL Lab and run one")
    expect(section(page, "charts")).to_contain_text("No charts yet. Build a chart")
    expect(section(page, "dashboards")).to_contain_text("No dashboards opened yet.")

    api = Api(page)
    chart = api.call(
        "POST", "/api/v1/charts", {"name": "Hana's bars", "connection": "demo", "spec": BAR}
    )
    board = api.call("POST", "/api/v1/dashboards", {"title": "Hana's board"})

    # the dashboard is starred on the dashboards list
    page.goto("/dashboards")
    row = page.locator(f"tr[data-dashboard-id='{board['id']}']")
    star = row.get_by_role("button", name="Favourite: Hana's board")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")

    # the chart from Home's recent charts (yours, changed lately)
    open_home(page)
    recent_chart = section(page, "charts").get_by_test_id("home-item")
    expect(recent_chart).to_have_count(1)
    expect(recent_chart.get_by_role("link")).to_have_text("Hana's bars")
    recent_chart.get_by_role("button", name="Favourite: Hana's bars").click()
    favourites = section(page, "favourites").get_by_test_id("home-link")
    expect(favourites).to_have_text(["Hana's bars", "Hana's board"])

    page.reload()
    ready(page)
    expect(favourites).to_have_text(["Hana's bars", "Hana's board"])
    expect(favourites.first).to_have_attribute("href", f"/charts/{chart['id']}")
    # unstarring on Home takes it out of the favourites
    section(page, "favourites").get_by_role("button", name="Favourite: Hana's bars").click()
    expect(favourites).to_have_text(["Hana's board"])
    page.reload()
    ready(page)
    expect(favourites).to_have_text(["Hana's board"])

    # a dashboard opened shows in the recent ones; its link opens it
    favourites.first.click()
    expect(page).to_have_url(re.compile(rf"/dashboards/{board['id']}$"))
    open_home(page)
    expect(section(page, "dashboards").get_by_test_id("home-link")).to_have_text(["Hana's board"])


def test_a_recent_query_shows_and_opens_in_sql_lab(page_as: Callable[[str, str], Page]) -> None:
    page = page_as("quinn", "editor")
    Api(page).call(
        "POST", "/api/v1/saved-queries", {"connection": "demo", "name": "Greeting", "sql": QUERY}
    )
    open_sqllab(page)
    run_sql(page, QUERY)
    # a saved query starred in SQL Lab's Saved panel
    page.locator("#tab-saved").click()
    star = page.get_by_test_id("saved-item").get_by_role("button", name="Favourite: Greeting")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    open_home(page)
    favourite = section(page, "favourites").get_by_test_id("home-link")
    expect(favourite).to_have_text(["Greeting"])
    expect(favourite).to_have_attribute("href", re.compile(r"^/sqllab\?saved=\d+$"))
    query = section(page, "queries").get_by_test_id("home-query")
    expect(query).to_have_count(1)
    expect(query).to_contain_text(QUERY)
    expect(query).to_contain_text("demo")
    expect(query).to_contain_text("Succeeded")
    query.get_by_test_id("home-query-link").click()
    expect(page).to_have_url(re.compile(r"/sqllab$"))
    expect(page.get_by_test_id("sql-editor")).to_contain_text(QUERY)


def test_a_viewer_never_sees_anothers_private_items(page_as: Callable[[str, str], Page]) -> None:
    owner = page_as("olive", "editor")
    api = Api(owner)
    secret = api.call("POST", "/api/v1/dashboards", {"title": "Olive's secret board"})
    shared = api.call("POST", "/api/v1/dashboards", {"title": "Olive's team board"})
    chart = api.call(
        "POST", "/api/v1/charts", {"name": "Olive's chart", "connection": "demo", "spec": BAR}
    )
    api.call(
        "POST",
        "/api/v1/saved-queries",
        {"connection": "demo", "name": "Olive's draft", "sql": QUERY},
    )
    share = {"shares": [{"user": "vesna", "access": "viewer"}]}

    viewer = page_as("vesna", "viewer")
    api.call("PUT", f"/api/v1/dashboards/{shared['id']}/shares", share)
    # crafted URLs to the private ones: nothing is recorded, nothing shows
    viewer.goto(f"/dashboards/{secret['id']}")
    viewer.goto(f"/charts/{chart['id']}")
    viewer.goto(f"/dashboards/{shared['id']}")
    ready(viewer)
    open_home(viewer)
    expect(section(viewer, "queries")).to_have_count(0)  # no SQL for a viewer
    expect(section(viewer, "charts")).to_have_count(0)
    boards = section(viewer, "dashboards").get_by_test_id("home-link")
    expect(boards).to_have_text(["Olive's team board"])
    section(viewer, "dashboards").get_by_role(
        "button", name="Favourite: Olive's team board"
    ).click()
    expect(section(viewer, "favourites").get_by_test_id("home-link")).to_have_text(
        ["Olive's team board"]
    )
    expect(viewer.locator("#main")).not_to_contain_text("secret")
    expect(viewer.locator("#main")).not_to_contain_text("Olive's draft")

    # no longer shared: gone from Home, favourite included
    api.call("PUT", f"/api/v1/dashboards/{shared['id']}/shares", {"shares": []})
    open_home(viewer)
    expect(section(viewer, "favourites")).to_contain_text("No favourites yet.")
    expect(section(viewer, "dashboards")).to_contain_text("No dashboards opened yet.")
    expect(viewer.locator("#main")).not_to_contain_text("Olive")
