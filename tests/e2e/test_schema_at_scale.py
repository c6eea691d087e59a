"""The schema browser over a BigQuery-sized catalog (10,000 tables, nested fields, partitioned
and clustered tables, a view, an unreadable dataset), served by request routing (see
fake_catalog.py): what stays in the page, nesting, the server's search, BigQuery quoting."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e import fake_catalog
from tests.e2e.fake_catalog import FakeCatalog
from tests.e2e.sqllab import type_sql

pytestmark = pytest.mark.e2e


def open_big(page: Page) -> FakeCatalog:
    """SQL Lab over the fake catalog, its datasets listed."""
    seen = fake_catalog.install(page)
    page.goto("/sqllab")
    expect(page.locator("#connection option[value=demo]")).to_have_text("demo (bigquery)")
    expect(page.locator("#schema-tree li.schema")).to_have_count(len(fake_catalog.DATASETS) + 2)
    return seen


def node(page: Page, schema: str, name: str) -> Locator:
    return page.locator(f"#schema-tree li.table[data-table='{schema}.{name}']")


def test_a_10000_table_catalog_keeps_the_page_small(admin_page: Page) -> None:
    page = admin_page
    open_big(page)
    tree = page.get_by_test_id("schema-tree")
    expect(page.get_by_test_id("catalog-info")).to_have_text(
        re.compile(r"^Loaded 10,004 tables in 1\.23 s, at \d\d:\d\d · 1 dataset unreadable$")
    )
    dataset = tree.locator("li.schema[data-schema='catalog_03']")
    expect(dataset.locator(".stats")).to_have_text("2,000")
    expect(tree.locator("li.table")).to_have_count(0)  # many tables: datasets start closed

    dataset.get_by_role("button", name="Tables of catalog_03").click()
    expect(dataset.locator("li.table")).to_have_count(200)
    more = dataset.get_by_test_id("show-more")
    expect(more).to_have_text("Show 200 more (1,800 not shown)")
    more.click()
    expect(dataset.locator("li.table")).to_have_count(400)
    expect(node(page, "catalog_03", "t_00200").locator("button.name")).to_be_focused()
    assert page.evaluate("document.querySelectorAll('#schema-tree *').length") < 5000

    dataset.get_by_role("button", name="Tables of catalog_03").click()
    expect(tree.locator("li.table")).to_have_count(0)


def test_nested_fields_badges_and_an_unreadable_dataset(admin_page: Page) -> None:
    page = admin_page
    seen = open_big(page)
    tree = page.get_by_test_id("schema-tree")
    restricted = tree.locator("li.schema[data-schema='restricted']")
    expect(restricted.locator(".stats")).to_have_text("unreadable")
    restricted.get_by_role("button", name="Tables of restricted").click()
    expect(restricted).to_contain_text(fake_catalog.UNREADABLE_ERROR)

    tree.get_by_role("button", name="Tables of shop").click()
    events = node(page, "shop", "events")
    expect(events.get_by_test_id("partitioned")).to_have_attribute(
        "title", "Partitioned by event_date"
    )
    expect(events.get_by_test_id("clustered")).to_have_attribute(
        "title", "Clustered by user_id, kind"
    )
    big = node(page, "shop", "big")
    expect(big.locator(".stats").first).to_have_text("1M · 45.8 MB")
    expect(big.locator("button.name")).to_have_attribute(
        "title",
        "A million rows\n\nShow the columns of `shop.big` "
        "(drag it into the editor, or use its menu, to insert the name)",
    )
    expect(node(page, "shop", "v_big").locator(".kind-badge")).to_have_text("V")
    assert seen.tables == []

    nested = node(page, "shop", "nested")
    nested.get_by_role("button", name="Columns of nested").click()
    expect(nested.locator("li.column")).to_have_count(4)
    assert seen.tables == ["shop.nested"]
    expect(nested.locator("li.column[data-path=tags] .type")).to_have_text("string[]")
    expect(nested.locator("li.column[data-path=items] .type")).to_have_text("struct[]")
    nested.get_by_role("button", name="Fields of person", exact=True).click()
    nested.get_by_role("button", name="Fields of person.address").click()
    city = nested.locator("li.column[data-path='person.address.city']")
    expect(city.locator(".type")).to_have_attribute("title", "Where they live\n\nSTRING")

    type_sql(page, "SELECT ")
    city.get_by_role("button", name="city").click()  # its menu; the name goes in from there
    page.get_by_role("menu").get_by_test_id("menu-insert").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT person.address.city")


def test_search_asks_the_server_about_columns(admin_page: Page) -> None:
    page = admin_page
    seen = open_big(page)
    search = page.get_by_test_id("schema-filter")
    search.click()
    page.keyboard.type("city", delay=20)  # faster than the search's pause: one request
    match = page.locator("#schema-tree li.column.match")
    expect(match).to_have_count(1)
    expect(match).to_contain_text("person.address.city")
    assert seen.searches == ["city"]
    type_sql(page, "SELECT ")
    match.get_by_role("button", name="person.address.city").click()
    page.get_by_role("menu").get_by_test_id("menu-insert").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT person.address.city")

    search.fill("t_0199")  # table names, all datasets, shown at once
    expect(page.locator("#schema-tree li.table")).to_have_count(5 * 10)


def test_bigquery_names_are_quoted_and_views_are_queried(admin_page: Page) -> None:
    page = admin_page
    open_big(page)
    type_sql(page, "SELECT * FROM")
    page.get_by_role("button", name="Tables of shop").click()
    node(page, "shop", "big").locator(".row").first.click(button="right")
    page.get_by_role("menu").get_by_test_id("menu-insert").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT * FROM `shop.big`")

    node(page, "shop", "v_big").locator(".row").first.click(button="right")
    menu = page.get_by_role("menu")
    expect(menu.get_by_test_id("menu-preview")).to_have_count(0)  # a view: no direct read
    expect(menu.get_by_test_id("menu-export-csv")).to_have_count(0)
    menu.get_by_test_id("menu-query").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT * FROM `shop.v_big` LIMIT 100")

    node(page, "shop", "big").locator(".row").first.click(button="right")
    expect(page.get_by_test_id("menu-preview")).to_contain_text("read directly, no query cost")
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_have_count(0)


def test_completion_offers_nested_fields_and_qualified_tables(admin_page: Page) -> None:
    page = admin_page
    open_big(page)
    type_sql(page, "SELECT * FROM `shop.nested` AS n WHERE n.person.")
    page.keyboard.type("addr")
    options = page.locator(".cm-tooltip-autocomplete li")
    expect(options.first).to_contain_text("address")
    options.first.click()
    page.keyboard.type(".ci")
    expect(options.first).to_contain_text("city")
    options.first.click()
    expect(page.locator(".cm-content")).to_have_text(
        "SELECT * FROM `shop.nested` AS n WHERE n.person.address.city"
    )

    type_sql(page, "SELECT * FROM ")
    page.keyboard.type("even")
    expect(options.filter(has_text="events").first).to_be_visible()
    options.filter(has_text="events").first.click()
    expect(page.locator(".cm-content")).to_have_text("SELECT * FROM `shop.events`")


def test_tables_show_at_once_and_their_columns_fill_in(admin_page: Page) -> None:
    page = admin_page
    seen = fake_catalog.install(page, loading=("catalog_02", "catalog_04"))
    page.goto("/sqllab")
    tree = page.get_by_test_id("schema-tree")
    expect(tree.locator("li.schema")).to_have_count(len(fake_catalog.DATASETS) + 2)
    info = page.get_by_test_id("catalog-info")
    expect(info).to_contain_text("Listed 10,004 tables at")
    expect(info.get_by_test_id("columns-loading")).to_have_text(
        re.compile(r"loading columns of 2 datasets")
    )
    dataset = tree.locator("li.schema[data-schema='catalog_02']")
    expect(dataset.get_by_test_id("schema-loading")).to_be_visible()
    expect(
        tree.locator("li.schema[data-schema='shop']").get_by_test_id("schema-loading")
    ).to_have_count(0)

    with page.expect_request(lambda r: "prioritize=catalog_02" in r.url):  # opened: its next
        dataset.get_by_role("button", name="Tables of catalog_02").click()
    expect(dataset.locator("li.table")).to_have_count(200)  # the tables, before any column
    table = node(page, "catalog_02", "t_00001")
    expect(table.locator(".stats")).to_have_text("")
    table.get_by_role("button", name="Columns of t_00001").click()
    expect(table.locator("li.column")).to_have_count(0)
    expect(table).to_contain_text("Loading columns…")

    search = page.get_by_test_id("schema-filter")
    search.fill("amount")
    expect(page.get_by_test_id("search-loading")).to_have_text(
        "Still loading columns of: catalog_02, catalog_04"
    )
    search.fill("")

    seen.land("catalog_02")
    expect(table.locator("li.column")).to_have_count(3)
    expect(dataset.get_by_test_id("schema-loading")).to_have_count(0)
    expect(table.locator(".stats")).to_have_text("3")
    expect(info.get_by_test_id("columns-loading")).to_have_text(
        re.compile(r"loading columns of 1 dataset…")
    )
    seen.land("catalog_04")
    expect(info).to_have_text(re.compile(r"^Loaded 10,004 tables in 1\.23 s, at \d\d:\d\d"))
    listings = len(seen.listings)
    page.wait_for_timeout(2500)  # complete: asked no more
    assert len(seen.listings) == listings
