"""Charts and dashboards in a real browser: build two charts on the demo, put them on a new
dashboard with a date filter, filter, force refresh, and check the screenshot shows charts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from tests.support.images import colours_in, open_png

pytestmark = pytest.mark.e2e

#: Queries, chart drawing and the lazily loaded Vega bundle on a busy 2-core machine.
SLOW = 30_000
BAR_CHART = "Revenue by category"
LINE_CHART = "Orders per month"
START, END = "2024-01-01", "2024-03-31"
#: Points of a line whose months are in [START, END].
FILTERED_MONTHS = ("2024-01", "2024-02", "2024-03")


# ----- the chart builder


def pick_sales(page: Page) -> None:
    """The demo connection and its main.sales view, once its columns are offered."""
    expect(page.get_by_test_id("chart-connection")).to_have_value("demo", timeout=SLOW)
    page.get_by_test_id("source-kind-table").check()
    page.get_by_test_id("source-table-search").fill("sales")
    page.get_by_test_id("source-table").select_option("main.sales", timeout=SLOW)
    # The column pickers are drawn again once the source's columns arrive.
    expect(
        page.get_by_test_id("metric-column").first.locator('option[value="line_total"]')
    ).to_have_count(1, timeout=SLOW)


def run_chart(page: Page, marks: str) -> int:
    """Run the chart on screen, wait for it to be drawn, and return its row count (the
    number of `marks` drawn, one per row)."""
    page.get_by_test_id("chart-run").click()
    expect(page.get_by_test_id("chart-status")).to_have_attribute(
        "data-status", "succeeded", timeout=SLOW
    )
    output = page.get_by_test_id("chart-output")
    expect(output).to_have_attribute("data-state", "ready", timeout=SLOW)
    expect(page.get_by_test_id("chart-error")).to_be_hidden()
    summary = page.get_by_test_id("chart-summary")
    expect(summary).to_have_text(re.compile(r"^\d+ rows$"))
    count = int((summary.text_content() or "").split()[0])
    assert count > 1
    expect(output.get_by_test_id("vega-chart").locator(marks)).to_have_count(count, timeout=SLOW)
    return count


def save_chart(page: Page, name: str) -> int:
    """Save the chart on screen as a new chart; its id."""
    page.get_by_test_id("chart-save").click()
    page.get_by_test_id("chart-save-name").fill(name)
    page.get_by_test_id("chart-save-submit").click()
    expect(page.get_by_test_id("chart-save-dialog")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/charts/\d+$"))
    expect(page.get_by_test_id("chart-name")).to_have_text(name)
    expect(page.get_by_test_id("chart-exports")).to_be_visible()
    return int(page.url.rsplit("/", 1)[1])


def build_bar_chart(page: Page) -> tuple[int, int]:
    """Revenue (sum of line_total) by category, as a bar chart: its id and bar count."""
    page.goto("/charts")
    page.get_by_test_id("new-chart").click()
    expect(page).to_have_url(re.compile(r"/charts/new$"))
    pick_sales(page)
    page.get_by_test_id("chart-type").select_option("bar")
    page.get_by_test_id("add-dimension").click()
    page.get_by_test_id("dimension").nth(0).select_option("category")
    page.get_by_test_id("metric-agg").nth(0).select_option("sum")
    page.get_by_test_id("metric-column").nth(0).select_option("line_total")
    bars = run_chart(page, "g.mark-rect path")
    return save_chart(page, BAR_CHART), bars


def build_line_chart(page: Page) -> tuple[int, int]:
    """Orders (distinct order ids) per month of order_date, as a line chart: its id and its
    point count (one point a month)."""
    page.goto("/charts/new")
    pick_sales(page)
    page.get_by_test_id("chart-type").select_option("line")
    page.get_by_test_id("time-column").select_option("order_date")
    page.get_by_test_id("time-grain").select_option("month")
    page.get_by_test_id("metric-agg").nth(0).select_option("count_distinct")
    page.get_by_test_id("metric-column").nth(0).select_option("order_id")
    page.get_by_test_id("metric-label").nth(0).fill("orders")
    months = run_chart(page, "g.mark-symbol path")
    assert months > len(FILTERED_MONTHS)
    return save_chart(page, LINE_CHART), months


# ----- the dashboard


def tile_of(page: Page, chart_id: int) -> Locator:
    return page.locator(f'[data-testid="dashboard-tile"][data-chart-id="{chart_id}"]')


def add_chart_tile(page: Page, chart_id: int, name: str) -> None:
    """Add a chart's tile in edit mode (picked by id: other tests may save the same names)."""
    page.get_by_test_id("add-chart-tile").click()
    picker = page.get_by_test_id("add-tile-chart")
    picker.select_option(str(chart_id), timeout=SLOW)
    expect(picker.locator("option:checked")).to_have_text(name)
    page.get_by_test_id("add-tile-submit").click()
    expect(page.get_by_test_id("add-tile-dialog")).to_have_count(0)


def is_chart_data(chart_id: int, **body: Any) -> Any:
    """A predicate of the dashboard data response of a chart whose request had `body`'s
    values (e.g. force=True)."""

    def check(response: Response) -> bool:
        request = response.request
        if request.method != "POST" or not re.search(
            rf"/api/v1/dashboards/\d+/charts/{chart_id}/data$", response.url
        ):
            return False
        sent = request.post_data_json or {}
        return all(sent.get(key) == value for key, value in body.items())

    return check


def test_build_two_charts_and_a_filtered_dashboard(admin_page: Page, tmp_path: Path) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)

    # 1-2. Two charts, built, drawn and saved in the chart builder.
    bar_id, bars = build_bar_chart(page)
    line_id, months = build_line_chart(page)
    page.goto("/charts")
    for chart_id, name in ((bar_id, BAR_CHART), (line_id, LINE_CHART)):
        row = page.locator(f'[data-testid="chart-row"][data-chart-id="{chart_id}"]')
        expect(row.get_by_test_id("chart-link")).to_have_text(name)

    # 3. A new dashboard with both charts and a date range filter on order_date.
    page.get_by_test_id("nav-dashboards").click()
    page.get_by_test_id("new-dashboard").click()
    page.get_by_test_id("new-dashboard-title").fill("Sales overview")
    page.get_by_test_id("new-dashboard-submit").click()
    expect(page).to_have_url(re.compile(r"/dashboards/\d+$"))  # ?edit=1 is dropped
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-mode", "edit")
    add_chart_tile(page, bar_id, BAR_CHART)
    add_chart_tile(page, line_id, LINE_CHART)
    bar, line = tile_of(page, bar_id), tile_of(page, line_id)
    for tile in (bar, line):
        expect(tile).to_have_attribute("data-state", "ready", timeout=SLOW)
    expect(bar.get_by_test_id("tile-title")).to_have_text(BAR_CHART)
    expect(line.get_by_test_id("tile-title")).to_have_text(LINE_CHART)

    page.get_by_test_id("add-dashboard-filter").click()
    page.get_by_test_id("filter-column-input").fill("order_date")
    page.get_by_test_id("filter-kind-input").select_option("date_range")
    page.get_by_test_id("filter-add-submit").click()
    expect(page.get_by_test_id("filter-dialog")).to_have_count(0)
    page.get_by_test_id("dashboard-save").click()
    expect(page.get_by_test_id("dashboard-message")).to_have_text("Saved.")
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-mode", "view")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Sales overview")
    # Unfiltered: every month of the demo, and every category.
    expect(line.locator("g.mark-symbol path")).to_have_count(months, timeout=SLOW)
    expect(bar.locator("g.mark-rect path")).to_have_count(bars, timeout=SLOW)
    other_years = line.locator("g.role-axis-label text", has_text=re.compile(r"2023|2025"))
    expect(other_years).not_to_have_count(0)

    # 4. A date range: the line shows the first quarter of 2024 only.
    date_filter = page.locator('[data-testid="dashboard-filter"][data-column="order_date"]')
    date_filter.get_by_test_id("filter-start").fill(START)
    date_filter.get_by_test_id("filter-end").fill(END)
    with page.expect_response(is_chart_data(line_id), timeout=SLOW) as answer:
        page.get_by_test_id("dashboard-apply-filters").click()
    sent = answer.value.request.post_data_json or {}
    assert sent["filters"] == [{"column": "order_date", "start": START, "end": END}]
    data = answer.value.json()
    assert answer.value.ok, data
    at = [c["name"] for c in data["columns"]].index("order_date")
    shown = sorted(str(row[at])[:7] for row in data["rows"])
    assert shown == list(FILTERED_MONTHS), shown
    for tile in (bar, line):
        expect(tile).to_have_attribute("data-state", "ready", timeout=SLOW)
        expect(tile.get_by_test_id("tile-error")).to_be_hidden()
    expect(line.locator("g.mark-symbol path")).to_have_count(len(FILTERED_MONTHS), timeout=SLOW)
    expect(line.locator("g.mark-line path")).to_have_count(1)
    expect(line.locator("g.role-axis-label text")).to_contain_text(
        ["Jan 2024", "Feb 2024", "Mar 2024"]
    )
    expect(other_years).to_have_count(0)
    expect(bar.locator("g.mark-rect path")).not_to_have_count(0)

    # The same filter again comes from the cache...
    page.get_by_test_id("dashboard-apply-filters").click()
    for tile in (bar, line):
        expect(tile.get_by_test_id("tile-cached")).to_be_visible(timeout=SLOW)
        expect(tile).to_have_attribute("data-state", "ready", timeout=SLOW)

    # 5. ...and force refresh runs every chart again in the warehouse.
    with (
        page.expect_response(is_chart_data(bar_id, force=True), timeout=SLOW) as bar_answer,
        page.expect_response(is_chart_data(line_id, force=True), timeout=SLOW) as line_answer,
    ):
        page.get_by_test_id("dashboard-force-refresh").click()
    for response in (bar_answer.value, line_answer.value):
        body = response.json()
        assert response.ok, body
        assert body["cached"] is False
        assert (response.request.post_data_json or {})["filters"] == sent["filters"]
    for tile in (bar, line):
        expect(tile).to_have_attribute("data-state", "ready", timeout=SLOW)
        expect(tile.get_by_test_id("tile-cached")).to_be_hidden()
        expect(tile.get_by_test_id("tile-spinner")).to_be_hidden()
    expect(line.locator("g.mark-symbol path")).to_have_count(len(FILTERED_MONTHS), timeout=SLOW)
    expect(bar.locator("g.mark-rect path")).not_to_have_count(0)

    # 6. The screenshot shows both charts: colourful marks in each tile's chart area.
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=shot, full_page=True)
    image = open_png(shot.read_bytes())
    scroll = page.evaluate("() => ({x: window.scrollX, y: window.scrollY})")
    assert image.size != (0, 0)
    for tile in (bar, line):
        box = tile.get_by_test_id("tile-body").bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, box
        at_page = {**box, "x": box["x"] + scroll["x"], "y": box["y"] + scroll["y"]}
        distinct, colourful = colours_in(image, at_page)
        assert distinct > 3, f"{tile} is blank in {shot}: {distinct} colours"
        # A thin line with three points: about 900 px; 8 bars: about 57,000 px.
        assert colourful > 300, f"{tile} draws no marks in {shot}: {colourful} colourful px"
