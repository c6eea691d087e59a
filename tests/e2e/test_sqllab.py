"""SQL Lab in a real browser: running, cancelling, errors, paging, history, exports."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import MAX_RESULT_ROWS, RESULTS_BUDGET_MB
from tests.e2e.sqllab import LONG_QUERY, open_sqllab, rows_label, run_sql, type_sql

pytestmark = pytest.mark.e2e


def test_a_query_shows_its_rows_in_the_grid(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    run_sql(page, "SELECT region, count(*) AS customers FROM customers GROUP BY 1 ORDER BY 2 DESC")

    grid = page.locator("#results table")
    expect(grid.locator("tbody tr")).to_have_count(4)
    expect(grid.locator("thead th").nth(1)).to_contain_text("region")
    expect(grid.locator("thead th").nth(2)).to_contain_text("bigint")
    north_america = grid.locator("tbody tr", has_text="North America")
    expect(north_america).to_have_count(1)
    expect(north_america.locator("td.num")).to_have_count(1)  # the count, right-aligned
    expect(page.get_by_test_id("result-summary")).to_have_text("4 rows")
    expect(page.get_by_test_id("page-info")).to_have_text(rows_label(1, 4, 4))
    expect(page.get_by_test_id("elapsed")).to_have_text(re.compile(r"\d+(\.\d+)? (ms|s)"))


def test_ctrl_enter_runs_only_the_selection(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT 1 AS first_query;\nSELECT NULL AS nothing, 2 AS second_query;")
    expect(page.locator("#run")).to_have_text("Run")
    page.keyboard.press("Shift+Home")  # select the second line
    expect(page.locator("#run")).to_have_text("Run selection")
    page.keyboard.press("ControlOrMeta+Enter")

    expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded")
    header = page.locator("#results thead")
    expect(header).to_contain_text("second_query")
    expect(header).not_to_contain_text("first_query")
    expect(page.locator("#results td.null")).to_have_text("NULL")


def test_cancel_stops_a_long_query(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, LONG_QUERY)
    page.locator("#run").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "running")
    expect(page.locator("#run")).to_be_disabled()
    expect(page.get_by_test_id("elapsed")).to_have_text(re.compile(r"^[1-9]\d*\.\d s$"))  # ticks

    page.locator("#cancel").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "cancelled", timeout=5_000)
    expect(page.get_by_test_id("run-message")).to_have_text("Cancelled by the user.")
    expect(page.locator("#cancel")).to_be_disabled()
    expect(page.locator("#run")).to_be_enabled()

    run_sql(page, "SELECT 42 AS answer")  # usable again
    expect(page.locator("#results tbody td").last).to_have_text("42")


def test_a_syntax_error_shows_the_message_and_marks_its_position(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    run_sql(page, "SELECT *\nFORM orders", status="failed")

    error = page.get_by_test_id("run-error")
    expect(error.locator(".error-message")).to_contain_text('syntax error at or near "orders"')
    expect(error.get_by_test_id("error-position")).to_contain_text("line 2, column 6")
    expect(page.locator(".cm-lintRange-error")).to_have_text("orders")
    expect(page.locator(".cm-activeLine")).to_have_text("FORM orders")  # the cursor moved there


def test_paging_through_a_result(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    run_sql(page, "SELECT * FROM order_lines LIMIT 250")

    info = page.get_by_test_id("page-info")
    expect(info).to_have_text(rows_label(1, 100, 250))
    expect(page.locator("#results tbody tr")).to_have_count(100)
    expect(page.get_by_test_id("page-prev")).to_be_disabled()

    page.get_by_test_id("page-next").click()
    expect(info).to_have_text(rows_label(101, 200, 250))
    expect(page.locator("#results tbody tr").first.locator("th")).to_have_text("101")

    page.get_by_test_id("page-last").click()
    expect(info).to_have_text(rows_label(201, 250, 250))
    expect(page.locator("#results tbody tr")).to_have_count(50)
    expect(page.get_by_test_id("page-next")).to_be_disabled()

    page.get_by_test_id("page-first").click()
    expect(info).to_have_text(rows_label(1, 100, 250))


def test_history_lists_runs_and_brings_one_back(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    run_sql(page, "SELECT 'from history' AS marker")
    run_sql(page, "SELECT * FROM no_such_table", status="failed")

    page.locator("#tab-history").click()
    items = page.get_by_test_id("history-item")
    expect(items.first).to_contain_text("no_such_table")
    expect(items.first.locator(".badge")).to_have_text("Failed")
    remembered = items.filter(has_text="from history").first
    expect(remembered.locator(".badge")).to_have_text("Succeeded")
    expect(remembered).to_contain_text("1 row")

    remembered.click()
    expect(page.locator("#results-panel")).to_be_visible()
    expect(page.locator(".cm-content")).to_have_text("SELECT 'from history' AS marker")
    expect(page.locator("#results tbody td")).to_have_text("from history")
    expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded")


def test_history_says_when_a_result_has_expired(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    run_sql(page, "SELECT 'soon evicted' AS marker")
    # A result larger than the whole results budget evicts every older one.
    run_sql(page, f"SELECT repeat('x', {RESULTS_BUDGET_MB * 1500}) AS wide FROM range(1000)")

    page.locator("#tab-history").click()
    page.get_by_test_id("history-item").filter(has_text="soon evicted").first.click()
    expect(page.locator(".cm-content")).to_have_text("SELECT 'soon evicted' AS marker")
    expect(page.get_by_test_id("run-message")).to_have_text(
        "This result is no longer stored; run the query again."
    )
    expect(page.locator("#results table")).to_have_count(0)


def test_editor_text_and_connection_survive_a_reload(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT 'kept' AS across_reloads")
    page.reload()
    expect(page.locator(".cm-content")).to_have_text("SELECT 'kept' AS across_reloads")
    expect(page.locator("#connection")).to_have_value("demo")


def test_completion_offers_the_catalog(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT * FROM ")
    page.keyboard.type("order_l")
    options = page.locator(".cm-tooltip-autocomplete li")
    expect(options.first).to_contain_text("order_lines")
    options.first.click()
    page.keyboard.type(" WHERE discou")
    expect(options.filter(has_text="discount").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".cm-content")).to_have_text("SELECT * FROM order_lines WHERE discou")


def test_a_cut_result_says_so_and_exports_in_full(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    run_sql(page, f"SELECT order_line_id FROM order_lines LIMIT {MAX_RESULT_ROWS + 500}")

    notice = page.get_by_test_id("truncated-notice")
    expect(notice).to_contain_text(
        f"Showing the first {MAX_RESULT_ROWS:,} rows: the result was cut at the row cap"
    )
    with page.expect_download() as download:
        notice.get_by_role("button", name="Export full result").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0] == '"order_line_id"' or lines[0] == "order_line_id"
    assert len(lines) == MAX_RESULT_ROWS + 500 + 1


def test_download_links_export_the_result(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    run_sql(page, "SELECT region_id, region FROM regions ORDER BY 1")
    with page.expect_download() as download:
        page.locator("#downloads a[data-format=csv]").click()
    assert download.value.suggested_filename.endswith(".csv")
    assert "North America" in download.value.path().read_text()
