"""SQL Lab's editor completion, results grid and running-query progress, in a real browser:
the catalog's names before a short list of keywords, badges for each kind of name, a popup
that closes when the editor loses the focus, a dialog opens or the page hides; numbers in full
with separators in a grid as wide as its pane; bytes processed and slot time beside the timer."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.sqllab import LONG_QUERY, open_sqllab, run_sql, type_sql

pytestmark = pytest.mark.e2e

POPUP = ".cm-tooltip-autocomplete"
ICONS = {'"col"', '"tbl"', '"view"', '"sch"', '"as"', '"kw"', '"fn"', '"var"'}


def labels(page: Page) -> list[str]:
    """The options of the open completion popup, in order."""
    return page.locator(f"{POPUP} li .cm-completionLabel").all_inner_texts()


def kinds(page: Page) -> list[str]:
    """The kind of each option of the popup (its icon's class), in order."""
    found: list[str] = page.eval_on_selector_all(
        f"{POPUP} li .cm-completionIcon",
        "icons => icons.map(i => [...i.classList].find(c => c.startsWith('cm-completionIcon-'))"
        " || '')",
    )
    return [k.removeprefix("cm-completionIcon-") for k in found]


def test_columns_and_tables_come_before_a_short_list_of_keywords(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT * FROM orders WHERE ")
    page.keyboard.type("o")
    expect(page.locator(POPUP).get_by_text("order_id", exact=True)).to_be_visible()
    expect(page.locator(POPUP).get_by_text("ORDER BY", exact=True)).to_be_visible()
    found = kinds(page)
    first_keyword = found.index("keyword")
    assert "keyword" not in found[:first_keyword] and set(found[first_keyword:]) == {"keyword"}, (
        found,
        labels(page),
    )
    assert found[0] == "property", labels(page)  # a column of orders first

    page.keyboard.press("Escape")
    type_sql(page, "SELECT pa")
    page.keyboard.press("Control+Space")
    expect(page.locator(POPUP).get_by_text("PARTITION BY", exact=True)).to_be_visible()
    offered = labels(page)
    for noise in ("PASSWORD", "PASSING", "PARAMETER_ORDINAL_POSITION", "PARALLEL"):
        assert noise not in offered, offered


def test_each_kind_of_name_has_a_badge_not_an_empty_box(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT * FROM orders WHERE ")
    page.keyboard.type("o")
    expect(page.locator(POPUP).get_by_text("order_id", exact=True)).to_be_visible()
    contents = page.eval_on_selector_all(
        f"{POPUP} li .cm-completionIcon",
        "icons => icons.map(i => getComputedStyle(i, '::after').content)",
    )
    assert contents and set(contents) <= ICONS, contents
    column = page.locator(f"{POPUP} li", has_text="order_id").first.locator(".cm-completionIcon")
    assert column.evaluate("i => getComputedStyle(i, '::after').content") == '"col"'


def open_popup(page: Page) -> None:
    type_sql(page, "SELECT * FROM orders WHERE ")
    page.keyboard.type("o")
    expect(page.locator(POPUP)).to_be_visible()


def test_the_popup_closes_when_the_editor_loses_the_focus(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    open_popup(page)
    page.get_by_test_id("schema-filter").click()
    expect(page.locator(POPUP)).to_have_count(0)


def test_the_popup_closes_when_a_dialog_opens_even_if_its_answer_comes_later(
    admin_page: Page,
) -> None:
    # The columns of a table come from the server: an answer that arrives once a dialog has
    # the focus must not open the popup over it.
    page = open_sqllab(admin_page)
    held: list[Route] = []
    columns = re.compile(r"/catalog/tables/main/customers$")
    page.route(columns, lambda route: held.append(route))
    with page.expect_request(columns):
        type_sql(page, "SELECT * FROM customers WHERE ")
        page.keyboard.type("c")
    page.keyboard.press("ControlOrMeta+s")
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    expect(page.locator(POPUP)).to_have_count(0)
    with page.expect_response(columns):
        for route in held:
            route.continue_()
    # Nothing is to happen now: give the late answer a moment to (wrongly) open the popup.
    page.wait_for_timeout(300)
    expect(page.locator(POPUP)).to_have_count(0)
    expect(dialog).to_be_visible()


def test_the_popup_closes_when_the_page_hides(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    open_popup(page)
    page.evaluate(
        """() => {
          Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
          Object.defineProperty(document, "hidden", { value: true, configurable: true });
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    expect(page.locator(POPUP)).to_have_count(0)


def test_numbers_are_formatted_and_the_grid_fills_the_pane(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    run_sql(page, "SELECT 21166400.86::DOUBLE AS revenue, 1234567 AS orders, 'north' AS region")
    cells = page.locator("#results tbody td")
    expect(cells.nth(0)).to_have_text("21,166,400.86")
    expect(cells.nth(1)).to_have_text("1,234,567")
    expect(cells.nth(2)).to_have_text("north")
    assert cells.nth(0).evaluate("c => getComputedStyle(c).textAlign") == "right"
    assert cells.nth(2).evaluate("c => getComputedStyle(c).textAlign") == "left"
    table = page.locator("#results table").bounding_box()
    pane = page.locator("#results").bounding_box()
    assert table is not None and pane is not None
    assert table["width"] >= pane["width"] - 20, (table, pane)  # (less a scroll bar)


def test_a_running_query_shows_its_progress_beside_the_timer(admin_page: Page) -> None:
    # BigQuery reports progress while a query runs (tests/bigquery/test_progress.py); here the
    # API's answers about a long DuckDB query carry it, as they would for BigQuery.
    page = open_sqllab(admin_page)
    reported = {"bytes_processed": 1_288_490_189, "slot_ms": 3_400}

    def with_progress(route: Route) -> None:
        response = route.fetch()
        body: dict[str, Any] = response.json()
        if body.get("status") in ("queued", "running"):
            body["progress"] = reported
        route.fulfill(response=response, body=json.dumps(body))

    page.route(re.compile(r"/api/v1/runs/[0-9a-f]+\?"), with_progress)
    type_sql(page, LONG_QUERY)
    page.locator("#run").click()
    progress = page.get_by_test_id("run-progress")
    expect(progress).to_have_text("1.2 GB processed · 3.4 slot-s")
    expect(progress).to_be_visible()
    page.locator("#cancel").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "cancelled")
    expect(progress).to_be_hidden()
