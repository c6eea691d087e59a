"""A dashboard's filters in a real browser: date presets, a reversed range refused under the
field, "No data for these filters" instead of empty axes, the filter state in the URL (reload,
a new page, back), and cross-filtering: a click on a bar filters the other tile."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import APIRequestContext, Locator, Page, Request, Response, expect

pytestmark = pytest.mark.e2e

SLOW = 30_000
SALES = {"kind": "table", "schema": "main", "table": "sales"}


def _chart(api: APIRequestContext, name: str, dimension: str) -> int:
    spec = {
        "type": "bar",
        "source": SALES,
        "dimensions": [dimension],
        "metrics": [{"agg": "count_distinct", "column": "order_id", "label": "orders"}],
    }
    response = api.post("/api/v1/charts", data={"name": name, "connection": "demo", "spec": spec})
    assert response.status == 201, response.text()
    return int(response.json()["id"])


@pytest.fixture
def board(admin_api: APIRequestContext) -> dict[str, Any]:
    """Orders by region (tile "r") and by channel (tile "c"), with a date filter."""
    region = _chart(admin_api, "Orders by region", "region")
    channel = _chart(admin_api, "Orders by channel", "channel")
    created = admin_api.post("/api/v1/dashboards", data={"title": "Filtered"}).json()
    tiles = [
        {"id": "r", "kind": "chart", "chart_id": region, "x": 0, "y": 0, "w": 6, "h": 4},
        {"id": "c", "kind": "chart", "chart_id": channel, "x": 6, "y": 0, "w": 6, "h": 4},
    ]
    filters = [{"column": "order_date", "kind": "date_range", "label": "Ordered"}]
    changed = admin_api.patch(
        f"/api/v1/dashboards/{created['id']}",
        data={"layout": {"tiles": tiles}, "filters": filters},
    )
    assert changed.ok, changed.text()
    return {"id": created["id"], "region": region, "channel": channel}


def tile_of(page: Page, chart_id: int) -> Locator:
    return page.locator(f'[data-testid="dashboard-tile"][data-chart-id="{chart_id}"]')


def is_data_of(chart_id: int) -> Any:
    def check(r: Request | Response) -> bool:
        request = r if isinstance(r, Request) else r.request
        return request.method == "POST" and bool(
            re.search(rf"/api/v1/dashboards/\d+/charts/{chart_id}/data$", request.url)
        )

    return check


def sent_filters(request: Request) -> list[dict[str, Any]]:
    return list((request.post_data_json or {}).get("filters", []))


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_presets_validation_no_data_and_the_url(admin_page: Page, board: dict[str, Any]) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)
    sent: list[list[dict[str, Any]]] = []
    page.on(
        "request",
        lambda r: sent.append(sent_filters(r)) if is_data_of(board["channel"])(r) else None,
    )
    page.goto(f"/dashboards/{board['id']}")
    region, channel = tile_of(page, board["region"]), tile_of(page, board["channel"])
    for tile in (region, channel):
        expect(tile).to_have_attribute("data-state", "ready")
        expect(tile.locator("g.mark-rect path")).not_to_have_count(0)
    bar = page.locator('[data-testid="dashboard-filter"][data-column="order_date"]')
    start, end, error = (
        bar.get_by_test_id(t) for t in ("filter-start", "filter-end", "filter-error")
    )

    # A preset: the browser works out its dates; the URL keeps its name.
    today = date.today()
    bar.get_by_test_id("filter-preset").select_option("last_7_days")
    expect(start).to_have_value((today - timedelta(days=6)).isoformat())
    expect(end).to_have_value(today.isoformat())
    with page.expect_request(is_data_of(board["channel"])) as asked:
        page.get_by_test_id("dashboard-apply-filters").click()
    week = {
        "column": "order_date",
        "start": (today - timedelta(days=6)).isoformat(),
        "end": today.isoformat(),
    }
    assert sent_filters(asked.value) == [week]
    expect(page).to_have_url(re.compile(r"\?f\.order_date=last_7_days$"))

    # A reversed range is refused under the field, and nothing runs.
    start.fill("2024-03-31")
    end.fill("2024-01-01")
    expect(error).to_have_text("The start date is after the end date.")
    expect(bar.get_by_test_id("filter-preset")).to_have_value("custom")
    page.get_by_test_id("dashboard-apply-filters").click()
    expect(start).to_be_focused()
    expect(page).to_have_url(re.compile(r"\?f\.order_date=last_7_days$"))

    # A range without data says so instead of drawing empty axes.
    start.fill("2030-01-01")
    end.fill("2030-12-31")
    expect(error).to_be_empty()
    page.get_by_test_id("dashboard-apply-filters").click()
    for tile in (region, channel):
        expect(tile.get_by_test_id("tile-no-data")).to_have_text("No data for these filters")
        expect(tile.get_by_test_id("vega-chart")).to_have_count(0)
        expect(tile).to_have_attribute("data-state", "ready")
    assert query(page) == {"f.order_date": ["2030-01-01..2030-12-31"]}

    # The first quarter of 2024: bars again, and the URL says so.
    start.fill("2024-01-01")
    end.fill("2024-03-31")
    page.get_by_test_id("dashboard-apply-filters").click()
    expect(channel.locator("g.mark-rect path")).not_to_have_count(0)
    expect(channel.get_by_test_id("tile-no-data")).to_have_count(0)
    assert query(page) == {"f.order_date": ["2024-01-01..2024-03-31"]}
    quarter = {"column": "order_date", "start": "2024-01-01", "end": "2024-03-31"}

    # A reload opens the same filtered view.
    with page.expect_request(is_data_of(board["channel"])) as asked:
        page.reload()
    assert sent_filters(asked.value) == [quarter]
    expect(start).to_have_value("2024-01-01")
    expect(end).to_have_value("2024-03-31")
    expect(channel.locator("g.mark-rect path")).not_to_have_count(0)

    # Back: the range without data, as it was.
    page.go_back()
    expect(start).to_have_value("2030-01-01")
    expect(channel.get_by_test_id("tile-no-data")).to_have_text("No data for these filters")

    # A copied link opens in a new page with the preset, worked out there.
    other = page.context.new_page()
    with other.expect_request(is_data_of(board["channel"])) as asked:
        other.goto(f"/dashboards/{board['id']}?f.order_date=last_7_days")
    assert sent_filters(asked.value) == [week]
    expect(other.get_by_test_id("filter-preset")).to_have_value("last_7_days")
    other.close()

    assert sent and all(f["start"] <= f["end"] for filters in sent for f in filters), sent


def test_a_click_on_a_bar_filters_the_other_tile(admin_page: Page, board: dict[str, Any]) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)
    with page.expect_response(is_data_of(board["channel"])) as first:
        page.goto(f"/dashboards/{board['id']}")
    everything = first.value.json()["rows"]
    region, channel = tile_of(page, board["region"]), tile_of(page, board["channel"])
    for tile in (region, channel):
        expect(tile.locator("g.mark-rect path")).not_to_have_count(0)
    regions = region.locator("g.mark-rect path").count()

    region.locator("g.mark-rect path").first.click()
    menu = page.get_by_test_id("menu")
    expect(menu.get_by_test_id("mark-drill")).to_have_text("Show rows behind this")
    item = menu.get_by_test_id("mark-filter")
    expect(item).to_have_text(re.compile(r"^Filter dashboard by region = \S"))
    picked = (item.text_content() or "").split(" = ", 1)[1]
    with page.expect_response(is_data_of(board["channel"])) as narrowed:
        item.click()
    assert sent_filters(narrowed.value.request) == [{"column": "region", "values": [picked]}]
    rows = narrowed.value.json()["rows"]
    assert rows and rows != everything
    chip = page.get_by_test_id("cross-filter-chip")
    expect(chip).to_have_text(re.compile(rf"region = {re.escape(picked)}"))
    assert "x" in query(page)
    # The tile clicked keeps all its bars; the other one draws the region's numbers.
    expect(region.locator("g.mark-rect path")).to_have_count(regions)
    expect(channel).to_have_attribute("data-state", "ready")

    # The cross-filter is in the URL: a reload keeps it.
    with page.expect_request(is_data_of(board["channel"])) as again:
        page.reload()
    assert sent_filters(again.value) == [{"column": "region", "values": [picked]}]
    expect(chip).to_be_visible()
    expect(channel).to_have_attribute("data-state", "ready")

    # Its clear button clears it: the other tile shows everything again.
    unfiltered = is_data_of(board["channel"])
    with page.expect_response(lambda r: unfiltered(r) and sent_filters(r.request) == []) as cleared:
        chip.get_by_test_id("cross-filter-clear").click()
    assert cleared.value.json()["rows"] == everything
    expect(chip).to_have_count(0)
    assert "x" not in query(page)
    expect(channel.locator("g.mark-rect path")).to_have_count(len(everything))
