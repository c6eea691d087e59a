"""The audit log page (admins): filters, the expandable SQL, paging with "Load more", and the CSV
export of the same filters."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import APIRequestContext, Page, Route, expect

pytestmark = pytest.mark.e2e

MARK = "zq_audit"  # in the SQL of this test's runs only


def run_as(page: Page, sql: str) -> None:
    """Run SQL through the API in the page's session (as SQL Lab would)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "belvedere_csrf")
    page.request.post(
        "/api/v1/runs",
        data={"connection": "demo", "sql": sql, "surface": "sqllab"},
        headers={"X-CSRF-Token": token},
    )


def test_filters_details_paging_and_csv(
    admin_page: Page, admin_api: APIRequestContext, page_as: Callable[[str, str], Page]
) -> None:
    editor = page_as("ed_audit", "editor")
    editor.goto("/audit")
    expect(editor.locator(".notice .message")).to_contain_text("may not read the audit log")
    expect(editor.locator(".topbar nav")).not_to_contain_text("Audit")
    run_as(editor, f"SELECT '{MARK}_1' AS a")
    run_as(editor, f"SELECT * FORM {MARK}_bad")
    admin_api.post("/api/v1/runs", data={"connection": "demo", "sql": f"SELECT '{MARK}_2' AS b"})

    page = admin_page
    page.goto("/audit")
    expect(page.get_by_test_id("audit-retention")).to_contain_text("older than 365 days")
    rows = page.get_by_test_id("audit-row")
    filters = page.locator("#audit-filters")
    filters.get_by_label("SQL contains").fill(MARK)
    expect(rows).to_have_count(3)
    expect(page).to_have_url(re.compile(f"text={MARK}"))  # a reload keeps the filters

    filters.get_by_label("User", exact=True).fill("ed_audit")
    expect(rows).to_have_count(2)
    filters.get_by_label("Status").select_option("failed")
    expect(rows).to_have_count(1)
    failed = rows.first
    expect(failed.locator("td").nth(1)).to_have_text("ed_audit")
    expect(failed.locator("td").nth(2)).to_have_text("connection")  # the principal
    expect(failed.locator(".badge")).to_have_text("Failed")
    failed.get_by_role("button", name=re.compile("FORM")).click()
    detail = page.get_by_test_id("audit-detail")
    expect(detail.locator(".full-sql")).to_have_text(f"SELECT * FORM {MARK}_bad")
    expect(detail).to_contain_text("syntax_error")

    # The CSV holds what the filters show.
    export = page.get_by_test_id("audit-export")
    query = parse_qs(urlsplit(export.get_attribute("href") or "").query)
    assert query == {"user": ["ed_audit"], "status": ["failed"], "text": [MARK]}
    with page.expect_download() as downloaded:
        export.click()
    with open(downloaded.value.path(), encoding="utf-8") as file:
        exported = list(csv.DictReader(io.StringIO(file.read())))
    assert [(r["user"], r["status"], r["sql"]) for r in exported] == [
        ("ed_audit", "failed", f"SELECT * FORM {MARK}_bad")
    ]

    # Surface and dates.
    page.get_by_role("button", name="Clear").click()
    filters.get_by_label("SQL contains").fill(MARK)
    filters.get_by_label("Surface").select_option("api")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text("admin")
    filters.get_by_label("Surface").select_option("")
    today = date.today()
    filters.get_by_label("From", exact=True).fill(today.isoformat())
    filters.get_by_label("To", exact=True).fill(today.isoformat())
    expect(rows).to_have_count(3)
    filters.get_by_label("To", exact=True).fill((today - timedelta(days=1)).isoformat())
    expect(page.locator("#audit-results")).to_contain_text("No runs match these filters.")


def test_load_more_pages_with_before(admin_page: Page, admin_api: APIRequestContext) -> None:
    for n in range(3):
        admin_api.post("/api/v1/runs", data={"connection": "demo", "sql": f"SELECT {n} AS zq_page"})
    page = admin_page
    asked: list[dict[str, list[str]]] = []

    def two_at_a_time(route: Route) -> None:
        address = urlsplit(route.request.url)
        asked.append(parse_qs(address.query))
        route.continue_(url=route.request.url.replace("limit=100", "limit=2"))

    page.route(re.compile(r"/api/v1/audit\?"), two_at_a_time)
    page.goto("/audit?text=zq_page")
    rows = page.get_by_test_id("audit-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("SELECT 2 AS zq_page")  # newest first
    page.get_by_test_id("audit-more").click()
    expect(rows).to_have_count(3)
    expect(rows.last).to_contain_text("SELECT 0 AS zq_page")
    expect(page.get_by_test_id("audit-more")).to_have_count(0)
    assert "before" in asked[-1] and asked[-1]["text"] == ["zq_page"]


def test_changes_tab_shows_who_changed_what(admin_page: Page, admin_api: APIRequestContext) -> None:
    saved = admin_api.post(
        "/api/v1/saved-queries",
        data={"connection": "demo", "name": "zq_changes", "sql": "SELECT 1 AS one"},
    ).json()
    body = {
        "name": "zq_changes weekly",
        "target": {"kind": "saved_query", "id": saved["id"]},
        "cron": "0 8 * * 1",
        "recipients": ["boss@example.com"],
        "recipients_see_owner_data": True,
    }
    schedule = admin_api.post("/api/v1/schedules", data=body).json()
    admin_api.patch(f"/api/v1/schedules/{schedule['id']}", data={"active": False})

    page = admin_page
    page.goto("/audit")
    page.get_by_test_id("audit-tab-changes").click()
    expect(page).to_have_url(re.compile(r"tab=changes"))
    expect(page.get_by_test_id("audit-export")).to_be_hidden()  # the CSV is of runs
    page.goto(f"/audit?tab=changes&object_kind=schedule&object_id={schedule['id']}")
    rows = page.get_by_test_id("change-row")
    expect(rows).to_have_count(3)  # a reload keeps the tab and its filters
    expect(page.locator("#changes-results")).to_contain_text(f"Only Schedule {schedule['id']}")
    paused, confirmed, created = rows.nth(0), rows.nth(1), rows.nth(2)
    expect(paused.locator("td.action")).to_have_text("Schedule paused")
    expect(paused.locator("td.user")).to_have_text("admin")
    expect(confirmed.locator("td.details")).to_have_text(
        "Confirmed that the recipients of schedule “zq_changes weekly” see the owner's rows "
        "(boss@example.com)."
    )
    link = created.locator("td.object a")
    expect(link).to_have_text("Schedule “zq_changes weekly”")
    expect(link).to_have_attribute("href", f"/schedules#schedule-{schedule['id']}")
    expect(created.locator("td.time time")).to_have_text(re.compile(r"\d{4}"))  # with its date

    page.locator("#changes-filters").get_by_label("What").select_option("schedule_paused")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"action=schedule_paused"))
    page.get_by_role("button", name="Show all").click()
    expect(page.locator("#changes-results")).not_to_contain_text("Only Schedule")


STAMP = re.compile(
    r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d\d:\d\d:\d\d$"
)


def test_column_probes_are_not_listed_as_runs_and_times_have_dates(
    admin_page: Page, admin_api: APIRequestContext
) -> None:
    saved = admin_api.post(
        "/api/v1/saved-queries",
        data={"connection": "demo", "name": "zq_probe", "sql": "SELECT 'zq_probe' AS a"},
    ).json()
    source = {"kind": "saved_query", "saved_query_id": saved["id"]}
    probed = admin_api.post("/api/v1/charts/columns", data={"connection": "demo", "source": source})
    assert probed.ok, probed.text()  # what the chart builder asks when a source is picked
    admin_api.post(
        "/api/v1/runs",
        data={"connection": "demo", "sql": "SELECT 'zq_probe' AS b", "wait_ms": 30000},
    )

    page = admin_page
    page.goto("/audit?text=zq_probe")
    rows = page.get_by_test_id("audit-row")
    expect(rows).to_have_count(1)  # the user's query, not the builder's LIMIT 0
    expect(rows.first).to_contain_text("AS b")
    expect(rows.first.locator("td.time time")).to_have_text(STAMP)  # "6 Dec 2026, 14:03:12"

    page.locator("#audit-filters").get_by_label("Surface").select_option("probe")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(4)).to_have_text("Column probe")
    expect(rows.first).to_contain_text("LIMIT 0")
