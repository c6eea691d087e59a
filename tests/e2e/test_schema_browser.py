"""The schema browser on the demo DuckDB: the tree, columns loaded when a table opens, the
catalog's info and refresh, search, opening tables and inserting names from their menus, and previews and exports that read a
table directly."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from tests.e2e.sqllab import open_sqllab, type_sql

pytestmark = pytest.mark.e2e

TABLE_ENDPOINT = "/api/v1/connections/demo/catalog/tables/"


def table(page: Page, name: str) -> Locator:
    """A table's node in the tree (schema main)."""
    return page.locator(f"#schema-tree li.table[data-table='main.{name}']")


def open_menu(page: Page, name: str) -> Locator:
    """Open a table's action menu (as a right-click would)."""
    table(page, name).locator(".row").first.click(button="right")
    menu = page.get_by_role("menu")
    expect(menu).to_be_visible()
    return menu


def test_the_tree_loads_a_tables_columns_when_it_opens(admin_page: Page) -> None:
    page = admin_page
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if TABLE_ENDPOINT in r.url else None)
    open_sqllab(page)
    tree = page.get_by_test_id("schema-tree")
    expect(tree.locator("li.schema[data-schema='main']")).to_be_visible()  # open: a small catalog
    expect(tree.locator("li.table")).to_have_count(7)
    expect(table(page, "sales").locator(".kind-badge")).to_have_text("V")
    expect(table(page, "orders").locator(".kind-badge")).to_have_text("T")
    expect(tree.locator("li.column")).to_have_count(0)
    assert fetched == []

    table(page, "orders").get_by_role("button", name="Columns of orders").click()
    columns = table(page, "orders").locator("li.column")
    expect(columns).to_have_count(5)
    expect(columns.first).to_contain_text("order_id")
    expect(columns.first.locator(".type")).to_have_text("bigint")
    assert len(fetched) == 1 and fetched[0].endswith("/tables/main/orders")

    caret = table(page, "orders").get_by_role("button", name="Columns of orders")
    caret.click()
    expect(columns).to_have_count(0)
    caret.click()  # again: from the browser's cache
    expect(columns).to_have_count(5)
    assert len(fetched) == 1


def test_the_catalog_says_when_it_was_loaded_and_refreshes(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    info = page.get_by_test_id("catalog-info")
    expect(info).to_have_text(re.compile(r"^Loaded 7 tables in [\d.]+ (ms|s), at \d\d:\d\d$"))
    table(page, "regions").get_by_role("button", name="Columns of regions").click()
    expect(table(page, "regions").locator("li.column")).to_have_count(4)

    with page.expect_request(lambda r: "/catalog?refresh=true" in r.url):
        page.get_by_test_id("schema-refresh").click()
    expect(page.get_by_test_id("schema-refresh")).to_be_enabled()
    expect(info).to_have_text(re.compile(r"^Loaded 7 tables"))
    expect(table(page, "regions").locator("li.column")).to_have_count(4)  # still open


def test_search_finds_tables_and_columns(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT count(*) FROM")
    tree = page.get_by_test_id("schema-tree")
    search = page.get_by_test_id("schema-filter")

    search.fill("order")  # table names match at once
    expect(tree.locator("li.table")).to_have_count(2)
    search.fill("unit_price")  # columns come from the server's search
    expect(tree.locator("li.table")).to_have_count(2)  # order_lines and the sales view
    expect(tree.locator("li.column.match")).to_have_count(2)
    expect(tree.locator("li.column.match").first).to_contain_text("unit_price")

    tree.get_by_role("button", name="order_lines", exact=True).click()  # opens it
    expect(table(page, "order_lines").locator("li.column:not(.match)")).to_have_count(7)
    expect(page.locator(".cm-content")).to_have_text("SELECT count(*) FROM")
    page.get_by_test_id("sql-editor").press("End")
    open_menu(page, "order_lines").get_by_test_id("menu-insert").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT count(*) FROM order_lines")
    page.locator("#run").click()
    expect(page.locator("#results tbody td")).to_have_text(re.compile(r"^\d{1,3}(,\d{3}){1,}$"))

    search.fill("no_such_thing")
    expect(tree).to_contain_text("Nothing matches “no_such_thing”.")
    search.press("Escape")
    expect(search).to_have_value("")
    expect(tree.locator("li.table")).to_have_count(7)


def test_a_search_result_can_be_shown_in_the_tree(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    page.get_by_test_id("schema-filter").fill("discount")
    tree = page.get_by_test_id("schema-tree")
    expect(tree.locator("li.column.match").first).to_contain_text("discount")
    menu = open_menu(page, "order_lines")
    menu.get_by_role("menuitem", name="Show in tree").click()
    expect(page.get_by_test_id("schema-filter")).to_have_value("")
    expect(tree.locator("li.table")).to_have_count(7)
    expect(table(page, "order_lines").locator("li.column")).to_have_count(7)  # opened
    expect(
        table(page, "order_lines").get_by_role("button", name="order_lines", exact=True)
    ).to_be_focused()


def test_clicking_a_table_opens_it_and_never_touches_the_sql(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    sql = "SELECT region, revenue FROM sales ORDER BY revenue DESC"
    type_sql(page, sql)
    name = table(page, "customers").get_by_role("button", name="customers", exact=True)
    name.click()
    expect(table(page, "customers").locator("li.column")).to_have_count(8)  # its columns
    expect(name).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".cm-content")).to_have_text(sql)  # nothing inserted

    # A column's name opens its menu; the name goes in from there.
    table(page, "customers").get_by_role("button", name="region", exact=True).click()
    expect(page.get_by_role("menu")).to_be_visible()
    expect(page.locator(".cm-content")).to_have_text(sql)
    page.keyboard.press("Escape")

    name.click()  # again: closed
    expect(table(page, "customers").locator("li.column")).to_have_count(0)
    expect(page.locator(".cm-content")).to_have_text(sql)


def test_insert_name_from_the_menu_puts_it_at_the_cursor(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT region, count(*) FROM  GROUP BY 1")
    page.keyboard.press("End")
    for _ in range(len(" GROUP BY 1")):
        page.keyboard.press("ArrowLeft")
    menu = open_menu(page, "customers")
    menu.get_by_test_id("menu-insert").click()
    expect(page.locator(".cm-content")).to_have_text(
        "SELECT region, count(*) FROM customers GROUP BY 1"
    )
    page.locator("#run").click()
    expect(page.locator("#results tbody tr")).to_have_count(4)

    # A column's menu inserts its name too.
    type_sql(page, "SELECT ")
    table(page, "customers").get_by_role("button", name="Columns of customers").click()
    table(page, "customers").get_by_role("button", name="region", exact=True).click()
    page.get_by_role("menu").get_by_test_id("menu-insert").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT region")


def test_a_table_dragged_into_the_editor_goes_where_it_is_dropped(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT count(*) FROM ")
    name = table(page, "customers").get_by_role("button", name="customers", exact=True)
    line = page.locator(".cm-line").first
    box = line.bounding_box()
    assert box is not None
    name.drag_to(line, target_position={"x": box["width"] - 2, "y": box["height"] / 2})
    expect(page.locator(".cm-content")).to_have_text("SELECT count(*) FROM customers")
    expect(table(page, "customers").locator("li.column")).to_have_count(0)  # not a click


def test_preview_reads_a_table_directly_and_exports_it_whole(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    results_pages: list[str] = []
    page.on("request", lambda r: results_pages.append(r.url) if "/results" in r.url else None)

    menu = open_menu(page, "products")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/runs")) as submitted:
        menu.get_by_test_id("menu-preview").click()
    body = submitted.value.post_data_json
    assert body["table"] == {"schema": "main", "name": "products"}
    assert body["max_rows"] == 100 and "sql" not in body

    expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#results tbody tr")).to_have_count(100)
    notice = page.get_by_test_id("table-notice")
    expect(notice).to_contain_text("Preview of main.products: the first 100 rows.")
    expect(notice).not_to_contain_text("no query cost")  # said on BigQuery only
    assert results_pages == []  # the first page came with the submission

    def whole_export(request: Request) -> bool:
        return request.url.endswith("/api/v1/runs") and bool(request.post_data_json.get("export"))

    with page.expect_download() as download, page.expect_request(whole_export):
        notice.get_by_test_id("export-table").click()
    lines = download.value.path().read_text().splitlines()
    assert len(lines) == 2000 + 1 and "product_name" in lines[0]
    expect(page.get_by_test_id("table-notice")).to_contain_text(
        "Exported main.products: 2,000 rows."
    )


def test_export_from_the_menu_downloads_the_whole_table(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    with page.expect_download() as download:
        open_menu(page, "regions").get_by_test_id("menu-export-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    text = download.value.path().read_text()
    assert len(text.splitlines()) == 8 + 1 and "United Kingdom" in text


def test_query_fills_the_editor(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    type_sql(page, "SELECT 1")
    open_menu(page, "sales").get_by_test_id("menu-query").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT * FROM sales LIMIT 100")
    expect(page.get_by_role("menu")).to_have_count(0)
