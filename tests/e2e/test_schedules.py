"""Schedules in a real browser: an editor schedules a dashboard from its page (a bad cron is
refused next to the field, nothing saved, nothing typed lost), finds it on the Schedules page
with its next run, sends it now and sees it delivered, and the e-mail arrives; a saved
chart's page schedules it too; a link to a saved query opens it in SQL Lab, whose saved-query
menu schedules it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Mailbox, ready

pytestmark = pytest.mark.e2e

#: A report is drawn on the server (the chart as a PNG) and sent over SMTP.
SLOW = 30_000
TITLE = "Weekly revenue board"
BAR = {
    "type": "bar",
    "source": {"kind": "table", "schema": "main", "table": "sales"},
    "dimensions": ["region"],
    "metrics": [{"agg": "sum", "column": "line_total", "label": "revenue"}],
}


class Api:
    """The JSON API as the page's user (its session and CSRF token)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        cookies = page.context.cookies()
        token = next(c["value"] for c in cookies if c["name"] == "belvedere_csrf")
        self.headers = {"X-CSRF-Token": token}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.page.request.fetch(path, method=method, data=body, headers=self.headers)
        assert response.ok, response.text()
        return response.json() if response.status != 204 else None


def dashboard_with_a_chart(api: Api) -> tuple[int, int]:
    """A new dashboard with a tile of a new chart: their ids."""
    chart = api.call(
        "POST", "/api/v1/charts", {"name": "Revenue", "connection": "demo", "spec": BAR}
    )
    board = api.call("POST", "/api/v1/dashboards", {"title": TITLE})
    tile = {"id": "t1", "kind": "chart", "chart_id": chart["id"], "x": 0, "y": 0, "w": 6, "h": 4}
    api.call("PATCH", f"/api/v1/dashboards/{board['id']}", {"layout": {"tiles": [tile]}})
    return int(board["id"]), int(chart["id"])


def test_schedule_a_dashboard_send_it_now_and_see_it_delivered(
    page_as: Callable[[str, str], Page], mailbox: Mailbox
) -> None:
    page = page_as("sched_editor", "editor")
    page.goto("/sqllab")  # a page of the app sets the CSRF cookie
    ready(page)
    api = Api(page)
    board, chart = dashboard_with_a_chart(api)

    page.goto(f"/dashboards/{board}")
    page.get_by_test_id("dashboard-schedule").click()
    dialog = page.get_by_test_id("schedule-dialog")
    expect(dialog.get_by_test_id("schedule-name")).to_have_value(TITLE)
    expect(dialog.get_by_test_id("schedule-kind")).to_have_count(0)  # dashboards: reports only
    dialog.get_by_test_id("schedule-preset").select_option("custom")
    dialog.get_by_test_id("schedule-cron").fill("0 25 * * 1")
    dialog.get_by_test_id("schedule-timezone").fill("Europe/Paris")
    dialog.get_by_test_id("schedule-recipients").fill("boss@example.com")
    dialog.get_by_test_id("schedule-save").click()

    # The API's words, next to the cron; nothing saved, nothing typed lost.
    error = dialog.get_by_test_id("schedule-cron-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("hour")
    expect(dialog.get_by_test_id("schedule-cron")).to_have_attribute("aria-invalid", "true")
    assert api.call("GET", "/api/v1/schedules") == []
    expect(dialog.get_by_test_id("schedule-recipients")).to_have_value("boss@example.com")
    expect(dialog.get_by_test_id("schedule-timezone")).to_have_value("Europe/Paris")

    dialog.get_by_test_id("schedule-preset").select_option("weekly")
    expect(dialog.get_by_test_id("schedule-cron")).to_have_value("0 8 * * 1")
    expect(dialog.get_by_test_id("schedule-cron-words")).to_have_text("At 08:00, only on Monday")
    dialog.get_by_test_id("schedule-save").click()
    saved = dialog.get_by_test_id("schedule-saved")
    expect(saved).to_contain_text("Next run:")
    expect(saved).to_contain_text("Europe/Paris")
    expect(error).to_be_hidden()
    [created] = api.call("GET", "/api/v1/schedules")
    assert (created["name"], created["cron"], created["target"]) == (
        TITLE,
        "0 8 * * 1",
        {"kind": "dashboard", "id": board},
    )

    # The Schedules page: the schedule with its target, its words and its next run (a date).
    saved.get_by_test_id("schedule-page-link").click()
    expect(page).to_have_url(re.compile(r"/schedules$"))
    row = page.get_by_test_id("schedule-row").filter(has_text=TITLE)
    expect(row.get_by_test_id("schedule-target")).to_have_attribute("href", f"/dashboards/{board}")
    expect(row).to_contain_text("At 08:00, only on Monday")
    expect(row.get_by_test_id("schedule-next-run")).to_have_text(re.compile(r"\d{4}"))
    expect(row.get_by_test_id("schedule-active")).to_be_checked()

    row.get_by_test_id("schedule-send").click()
    history = page.get_by_test_id("schedule-deliveries")
    sent = history.locator('[data-testid="delivery-row"][data-status="sent"]')
    expect(sent).to_have_count(1, timeout=SLOW)
    expect(sent).to_contain_text("boss@example.com")
    expect(sent).to_contain_text("Send now")
    expect(row.get_by_test_id("schedule-last-run")).to_contain_text("Sent")

    [message] = [m.message for m in mailbox.received if TITLE in str(m.message["Subject"])]
    assert message["To"] == "boss@example.com"
    html = message.get_body(("html",))
    assert html is not None and f"/dashboards/{board}" in html.get_content()

    # The audit log's link to it lands on its row.
    page.goto(f"/schedules#schedule-{created['id']}")
    expect(page.locator(f"#schedule-{created['id']}")).to_have_class(re.compile(r"\blinked\b"))

    # A saved chart is scheduled from its page too, as a report or an alert on its metric.
    page.goto(f"/charts/{chart}")
    page.get_by_test_id("chart-schedule").click()
    expect(dialog.get_by_test_id("schedule-name")).to_have_value("Revenue")
    dialog.get_by_test_id("schedule-kind").select_option("alert")
    expect(dialog.get_by_test_id("schedule-threshold")).to_be_visible()
    dialog.get_by_test_id("dialog-cancel").click()
    expect(dialog).to_have_count(0)


def test_a_link_opens_a_saved_query_and_its_menu_schedules_it(
    page_as: Callable[[str, str], Page],
) -> None:
    page = page_as("sched_analyst", "editor")
    page.goto("/schedules")
    ready(page)
    expect(page.get_by_test_id("nav-schedules")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("schedule-list")).to_contain_text("No schedules yet")
    query = Api(page).call(
        "POST",
        "/api/v1/saved-queries",
        {"connection": "demo", "name": "Linked regions", "sql": "SELECT 'linked' AS region"},
    )

    page.goto(f"/sqllab?saved={query['id']}")
    expect(page.get_by_test_id("saved-name")).to_have_text("Linked regions")
    expect(page.get_by_test_id("sql-editor")).to_contain_text("SELECT 'linked' AS region")
    expect(page).to_have_url(re.compile(r"/sqllab$"))

    page.locator("#tab-saved").click()
    page.get_by_role("button", name="Actions for Linked regions").click()
    page.get_by_test_id("saved-menu-schedule").click()
    dialog = page.get_by_test_id("schedule-dialog")
    expect(dialog.get_by_test_id("schedule-name")).to_have_value("Linked regions")
    expect(dialog.get_by_test_id("schedule-alert")).to_be_hidden()
    dialog.get_by_test_id("schedule-kind").select_option("alert")
    expect(dialog.get_by_test_id("schedule-threshold")).to_be_visible()
    dialog.get_by_test_id("schedule-condition").select_option("no_rows")
    expect(dialog.get_by_test_id("schedule-threshold")).to_be_hidden()
    dialog.get_by_test_id("dialog-cancel").click()
    expect(dialog).to_have_count(0)
