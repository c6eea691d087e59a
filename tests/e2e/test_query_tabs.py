"""SQL Lab's query tabs in a real browser: each tab's connection, SQL, cursor, results and
history, kept across reloads; "Open in SQL Lab" from elsewhere; "Chart this result"; downloads
named after the query."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from tests.e2e.conftest import ready
from tests.e2e.sqllab import open_sqllab, run_sql, type_sql

pytestmark = pytest.mark.e2e

SLOW = 30_000
OTHER = "tabs-memory"


@pytest.fixture
def other_connection(admin_api: APIRequestContext) -> Iterator[str]:
    """A second connection (DuckDB in memory), removed after."""
    added = admin_api.post(
        "/api/v1/connections",
        data={"name": OTHER, "kind": "duckdb", "options": {"path": ":memory:"}},
    )
    assert added.ok, added.text()
    yield OTHER
    admin_api.delete(f"/api/v1/connections/{OTHER}")


def rename(page: Page, title: str, to: str) -> None:
    page.get_by_test_id("query-tab").filter(has_text=title).locator(".query-tab-title").dblclick()
    field = page.get_by_role("textbox", name="Tab name")
    field.fill(to)
    field.press("Enter")
    expect(page.get_by_test_id("query-tab").filter(has_text=to)).to_have_count(1)


def test_two_tabs_keep_their_sql_connection_and_results_across_a_reload(
    admin_page: Page, other_connection: str
) -> None:
    page = open_sqllab(admin_page)
    tabs = page.get_by_test_id("query-tab")
    editor = page.locator(".cm-content")
    expect(tabs).to_have_count(1)
    run_sql(page, "SELECT 'first tab' AS marker")
    rename(page, "Query 1", "Markers")

    page.get_by_test_id("query-tab-add").click()
    expect(tabs).to_have_count(2)
    expect(tabs.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator(".cm-placeholder")).to_be_visible()  # an empty editor
    expect(page.get_by_test_id("results")).not_to_contain_text("first tab")
    page.locator("#connection").select_option(other_connection)
    run_sql(page, "SELECT 40 + 2 AS answer")
    expect(page.locator("#results tbody td.num")).to_have_text("42")
    rename(page, "Query 1", "Answers")  # the first free name

    # Back to the first tab: its text, connection and result; its cursor where it was.
    tabs.filter(has_text="Markers").locator(".query-tab-title").click()
    expect(editor).to_have_text("SELECT 'first tab' AS marker")
    expect(page.locator("#connection")).to_have_value("demo")
    expect(page.locator("#results tbody td").last).to_have_text("first tab")
    page.keyboard.press("ControlOrMeta+Home")
    tabs.filter(has_text="Answers").locator(".query-tab-title").click()
    expect(editor).to_have_text("SELECT 40 + 2 AS answer")
    tabs.filter(has_text="Markers").locator(".query-tab-title").click()
    page.keyboard.insert_text("/*kept*/ ")
    expect(editor).to_have_text("/*kept*/ SELECT 'first tab' AS marker")
    page.keyboard.press("Escape")
    page.keyboard.press("ControlOrMeta+z")
    expect(editor).to_have_text("SELECT 'first tab' AS marker")

    # Each tab's history lists its own runs; "All my runs" lists everyone's.
    page.locator("#tab-history").click()
    items = page.get_by_test_id("history-item")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("first tab")
    page.get_by_test_id("history-all").check()
    expect(items.filter(has_text="40 + 2")).not_to_have_count(0)
    page.get_by_test_id("history-all").uncheck()
    page.locator("#tab-results").click()

    page.reload()
    ready(page)
    expect(tabs).to_have_count(2)
    expect(tabs.nth(0)).to_have_text(re.compile("Markers"))
    expect(tabs.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    expect(editor).to_have_text("SELECT 'first tab' AS marker")
    expect(page.locator("#connection")).to_have_value("demo")
    expect(page.locator("#results tbody td").last).to_have_text("first tab", timeout=SLOW)

    tabs.filter(has_text="Answers").locator(".query-tab-title").click()
    expect(page.locator("#connection")).to_have_value(other_connection)
    expect(editor).to_have_text("SELECT 40 + 2 AS answer")
    expect(page.locator("#results tbody td.num")).to_have_text("42", timeout=SLOW)

    # Closing a tab forgets it, across reloads too.
    tabs.filter(has_text="Answers").get_by_test_id("query-tab-close").click()
    expect(tabs).to_have_count(1)
    expect(editor).to_have_text("SELECT 'first tab' AS marker")
    page.reload()
    ready(page)
    expect(tabs).to_have_count(1)
    expect(tabs).to_have_text(re.compile("Markers"))
    expect(page.locator("#connection")).to_have_value("demo")


def test_a_tab_whose_result_is_gone_says_run_again(admin_page: Page) -> None:
    page = admin_page
    page.goto("/charts")  # not SQL Lab: leaving it stores its own tabs
    kept = {
        "active": "t1",
        "tabs": [{"id": "t1", "title": "Old", "sql": "SELECT 1", "runId": "gone-long-ago"}],
    }
    page.evaluate(
        "kept => localStorage.setItem('belvedere.sqllab.tabs.admin', JSON.stringify(kept))", kept
    )
    page.goto("/sqllab")
    ready(page)
    expect(page.get_by_test_id("query-tab")).to_have_text(re.compile("Old"))
    expect(page.locator(".cm-content")).to_have_text("SELECT 1")
    expect(page.get_by_test_id("run-message")).to_have_text(
        "The last result has expired; run the query again."
    )


def test_open_in_sql_lab_opens_a_new_tab(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT 'still here' AS mine")
    asked = {"connection_id": "demo", "sql": "SELECT 7 AS seven", "title": "From a chart"}
    page.evaluate(
        "asked => sessionStorage.setItem('belvedere.sqllab.open', JSON.stringify(asked))", asked
    )
    page.goto("/sqllab")
    ready(page)
    tabs = page.get_by_test_id("query-tab")
    expect(tabs).to_have_count(2)
    expect(tabs.nth(1)).to_have_text(re.compile("From a chart"))
    expect(tabs.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator(".cm-content")).to_have_text("SELECT 7 AS seven")
    expect(page.locator("#connection")).to_have_value("demo")
    assert page.evaluate("sessionStorage.getItem('belvedere.sqllab.open')") is None
    tabs.nth(0).locator(".query-tab-title").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT 'still here' AS mine")
    page.reload()
    ready(page)
    expect(tabs).to_have_count(2)  # read once: a reload opens no other tab


def test_chart_this_result_opens_the_builder_on_the_saved_query(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    expect(page.get_by_test_id("chart-result")).to_be_hidden()
    run_sql(page, "SELECT region, count(*) AS customers FROM customers GROUP BY 1")
    rename(page, "Query 1", "Customers per region")
    page.get_by_test_id("chart-result").click()
    dialog = page.locator("#chart-result-dialog")
    name = dialog.get_by_role("textbox", name="Name")
    expect(name).to_have_value("Customers per region")
    name.fill("Customers by region")
    dialog.get_by_test_id("chart-result-save").click()

    expect(page).to_have_url(re.compile(r"/charts/new\?saved_query=\d+$"), timeout=SLOW)
    saved_id = page.url.rsplit("=", 1)[1]
    expect(page.get_by_test_id("source-kind-saved-query")).to_be_checked()
    source = page.get_by_test_id("source-saved-query")
    expect(source).to_have_value(saved_id, timeout=SLOW)
    expect(source.locator("option:checked")).to_have_text("Customers by region")
    expect(page.get_by_test_id("chart-connection")).to_have_value("demo")
    metric = page.get_by_test_id("metric-column").first
    expect(metric.locator('option[value="customers"]')).to_have_count(1, timeout=SLOW)
    page.get_by_test_id("add-dimension").click()
    expect(page.get_by_test_id("dimension").first.locator('option[value="region"]')).to_have_count(
        1
    )


def test_downloads_are_named_after_the_query(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    run_sql(page, "SELECT region_id, region FROM regions ORDER BY 1")
    rename(page, "Query 1", 'Regions "EU"/../list')
    today = datetime.now(UTC).date().isoformat()
    with page.expect_download() as download:
        page.locator("#downloads a[data-format=csv]").click()
    assert download.value.suggested_filename == f"Regions-EU-list-{today}.csv"
    assert "North America" in download.value.path().read_text()
    with page.expect_download() as download:
        page.locator("#downloads a[data-format=json]").click()
    assert download.value.suggested_filename == f"Regions-EU-list-{today}.json"
