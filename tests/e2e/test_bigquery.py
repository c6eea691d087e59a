"""SQL Lab on a BigQuery connection to the emulator of tests/bigquery (seeded: dataset `shop`
with `big`, `nested`, `events`, `v_big`; datasets `catalog_01..05`): the nested tree, the
partitioning and clustering badges, a direct read of `shop.big`, a view queried instead, and
the estimate (the emulator's dry run says 0 bytes)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Playwright, expect

from tests.e2e.conftest import ADMIN_PASSWORD, Server
from tests.e2e.sqllab import type_sql
from tests.support.bigquery.emulator import Emulator

pytestmark = [pytest.mark.e2e, pytest.mark.bigquery]

NAME = "shop_bq"  # sorts after "demo", which other tests expect SQL Lab to open on
CATALOG_SECONDS = 180  # the emulator answers INFORMATION_SCHEMA slowly (seconds a dataset)


@pytest.fixture(scope="module")
def shop_bq(
    request: pytest.FixtureRequest,
    playwright: Playwright,
    server: Server,
    sign_in_state: Callable[[str, str], dict[str, Any]],
) -> Iterator[str]:
    """A BigQuery connection to the emulator, added through the admin API, its catalog loaded
    (the server caches it); removed after the module."""
    emulator: Emulator = request.getfixturevalue("bq_emulator")
    admin = sign_in_state("admin", ADMIN_PASSWORD)
    token = next(c["value"] for c in admin["cookies"] if c["name"] == "belvedere_csrf")
    api = playwright.request.new_context(
        base_url=server.url, storage_state=admin, extra_http_headers={"X-CSRF-Token": token}
    )
    options = {
        "project": emulator.project,
        "auth": "none",
        "api_endpoint": emulator.rest_url,
        "storage_api_endpoint": emulator.grpc_target,
        "storage_api_insecure": True,
    }
    added = api.post(
        "/api/v1/connections", data={"name": NAME, "kind": "bigquery", "options": options}
    )
    assert added.ok, added.text()
    deadline = time.monotonic() + CATALOG_SECONDS
    while True:  # the tables come at once, the columns as each dataset's load lands
        loaded = api.get(f"/api/v1/connections/{NAME}/catalog", timeout=CATALOG_SECONDS * 1000)
        assert loaded.ok, loaded.text()
        if loaded.json()["complete"]:
            break
        assert time.monotonic() < deadline, "the catalog did not complete in time"
        time.sleep(0.2)
    try:
        yield NAME
    finally:
        api.delete(f"/api/v1/connections/{NAME}")
        api.dispose()


def node(page: Page, schema: str, name: str) -> Locator:
    return page.locator(f"#schema-tree li.table[data-table='{schema}.{name}']")


def open_shop(page: Page) -> None:
    page.goto("/sqllab")
    page.locator("#connection").select_option(NAME)
    shop = page.locator("#schema-tree li.schema[data-schema='shop']")
    expect(shop).to_be_visible(timeout=CATALOG_SECONDS * 1000)
    for dataset in ("catalog_01", "catalog_05"):  # other tests may have added datasets
        expect(page.locator(f"#schema-tree li.schema[data-schema='{dataset}']")).to_have_count(1)
    shop.get_by_role("button", name="Tables of shop").click()  # 230 tables: closed at first


def test_the_tree_shows_nesting_partitioning_and_clustering(admin_page: Page, shop_bq: str) -> None:
    page = admin_page
    open_shop(page)
    events = node(page, "shop", "events")
    expect(events.get_by_test_id("partitioned")).to_have_attribute("title", "Partitioned by ts")
    expect(events.get_by_test_id("clustered")).to_have_attribute(
        "title", "Clustered by user_id, kind"
    )
    expect(node(page, "shop", "big").locator(".stats").first).to_contain_text("1M")
    expect(node(page, "shop", "v_big").locator(".kind-badge")).to_have_text("V")

    nested = node(page, "shop", "nested")
    nested.get_by_role("button", name="Columns of nested").click()
    expect(nested.locator("li.column[data-path=tags] .type")).to_have_text("string[]")
    expect(nested.locator("li.column[data-path=items] .type")).to_have_text("struct[]")
    nested.get_by_role("button", name="Fields of customer", exact=True).click()
    nested.get_by_role("button", name="Fields of customer.address").click()
    city = nested.locator("li.column[data-path='customer.address.city']")
    expect(city.locator(".type")).to_have_text("string")
    type_sql(page, "SELECT ")
    city.get_by_role("button", name="city").click()  # its menu; the name goes in from there
    page.get_by_role("menu").get_by_test_id("menu-insert").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT customer.address.city")


def test_a_preview_reads_the_table_directly(admin_page: Page, shop_bq: str) -> None:
    page = admin_page
    open_shop(page)
    node(page, "shop", "big").locator(".row").first.click(button="right")
    preview = page.get_by_test_id("menu-preview")
    expect(preview).to_contain_text("read directly, no query cost")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/runs")) as submitted:
        preview.click()
    assert submitted.value.post_data_json["table"] == {"schema": "shop", "name": "big"}
    expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#results tbody tr")).to_have_count(100)
    expect(page.get_by_test_id("table-notice")).to_contain_text(
        "Preview of shop.big: the first 100 rows of 1,000,000, read directly — no query cost."
    )
    expect(page.locator("#results thead")).to_contain_text("int64")


def test_a_view_is_queried_and_the_estimate_shows(admin_page: Page, shop_bq: str) -> None:
    page = admin_page
    open_shop(page)
    node(page, "shop", "v_big").locator(".row").first.click(button="right")
    expect(page.get_by_test_id("menu-preview")).to_have_count(0)
    page.get_by_test_id("menu-query").click()
    expect(page.locator(".cm-content")).to_have_text("SELECT * FROM `shop.v_big` LIMIT 100")
    estimate = page.get_by_test_id("estimate")
    expect(estimate).to_have_text("This query will process 0 B")

    page.locator("#run").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#results tbody tr")).to_have_count(100)
    expect(page.get_by_test_id("run-cost")).to_contain_text("0 B processed")
    expect(estimate).to_have_text("This query will process 0 B")  # still there after the run
