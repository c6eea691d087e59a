"""The chart builder's finish: a designed theme (level labels, SI numbers), numeric pickers for
sums, a question before unsaved changes are dropped, readable SQL that opens in SQL Lab, and
a charts list with search, dates and pictures."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, BrowserContext, Dialog, Page, expect

from tests.e2e.conftest import ADMIN_PASSWORD, watch
from tests.e2e.test_charts_dashboards import SLOW, pick_sales

pytestmark = pytest.mark.e2e

SALES = {"kind": "table", "schema": "main", "table": "sales"}


def revenue_by_category(page: Page, limit: int = 4) -> None:
    """A bar chart of the demo's revenue (sum of line_total) in its first `limit` categories."""
    page.goto("/charts/new")
    pick_sales(page)
    page.get_by_test_id("chart-type").select_option("bar")
    page.get_by_test_id("add-dimension").click()
    page.get_by_test_id("dimension").nth(0).select_option("category")
    page.get_by_test_id("metric-agg").nth(0).select_option("sum")
    page.get_by_test_id("metric-column").nth(0).select_option("line_total")
    page.get_by_test_id("chart-limit").fill(str(limit))


def draw(page: Page) -> None:
    page.get_by_test_id("chart-run").click()
    expect(page.get_by_test_id("chart-output")).to_have_attribute(
        "data-state", "ready", timeout=SLOW
    )


def test_four_bars_have_level_labels_and_si_numbers(admin_page: Page) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)
    revenue_by_category(page)
    draw(page)
    chart = page.get_by_test_id("vega-chart")
    expect(chart.locator("g.mark-rect path")).to_have_count(4)
    x_labels = chart.locator('g[aria-label^="X-axis"] g.role-axis-label text')
    expect(x_labels).to_have_count(4)
    for i in range(4):  # level: no rotate(-90) (Vega-Lite's default), no -45 either
        assert "rotate" not in (x_labels.nth(i).get_attribute("transform") or "")
    y_labels = chart.locator('g[aria-label^="Y-axis"] g.role-axis-label text')
    expect(y_labels.filter(has_text=re.compile(r"^\d+(\.\d+)?[kMB]$"))).not_to_have_count(0)
    texts = y_labels.all_text_contents()
    assert not [t for t in texts if re.search(r"\d,\d{3}", t)], texts  # not 160,000,000
    # The series colour is the theme's (Okabe-Ito blue), not Vega's default.
    fill = chart.locator("g.mark-rect path").first.get_attribute("fill") or ""
    assert fill.lower() == "#0072b2", fill


def test_a_dark_system_setting_draws_the_dark_theme(
    new_context: Callable[..., BrowserContext],
    sign_in_state: Callable[[str, str], dict[str, Any]],
) -> None:
    context = new_context(storage_state=sign_in_state("admin", ADMIN_PASSWORD), color_scheme="dark")
    page = context.new_page()
    problems = watch(page)
    page.set_default_timeout(SLOW)
    revenue_by_category(page)
    draw(page)
    chart = page.get_by_test_id("vega-chart")
    label = chart.locator('g[aria-label^="X-axis"] g.role-axis-label text').first
    muted = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--muted').trim()"
    )
    expect(label).to_have_attribute("fill", muted)  # base.css's dark muted, not Vega's black
    assert muted.lower() != "#69717d"  # (the light theme's)
    bar = chart.locator("g.mark-rect path").first
    expect(bar).to_have_attribute("fill", re.compile("^#56B4E9$", re.IGNORECASE))  # light blue
    assert problems == []


def test_sum_offers_numeric_columns_only(admin_page: Page) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)
    page.goto("/charts/new")
    pick_sales(page)
    metric = page.get_by_test_id("metric-column").nth(0)
    page.get_by_test_id("metric-agg").nth(0).select_option("max")
    metric.select_option("region")  # max of text is fine
    page.get_by_test_id("metric-agg").nth(0).select_option("sum")
    options = metric.locator("option:not([disabled])")
    expect(metric.locator('option[value="line_total"]:not([disabled])')).to_have_count(1)
    names = [t.strip() for t in options.all_text_contents()]
    assert "region" not in names and "order_date" not in names and "channel" not in names, names
    expect(metric).to_have_value("")  # the text column was dropped, to be picked again
    page.get_by_test_id("metric-agg").nth(0).select_option("avg")
    expect(metric.locator('option[value="region"]')).to_have_count(0)


def test_leaving_with_unsaved_changes_asks_first(admin_page: Page) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)
    revenue_by_category(page)
    asked: list[Dialog] = []

    def answer(dialog: Dialog, accept: bool) -> None:
        asked.append(dialog)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    # An in-app link asks in words; "Cancel" stays with the changes.
    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_test_id("nav-dashboards").click()
    expect(page).to_have_url(re.compile(r"/charts/new$"))
    assert len(asked) == 1 and asked[0].type == "confirm"
    assert "not saved" in asked[0].message
    expect(page.get_by_test_id("metric-column").nth(0)).to_have_value("line_total")

    # Closing (or reloading) the page: the browser's own question; "Stay" keeps it open.
    with page.expect_event("dialog") as info:
        page.close(run_before_unload=True)
    assert info.value.type == "beforeunload"
    info.value.dismiss()
    expect(page.get_by_test_id("metric-column").nth(0)).to_have_value("line_total")

    # OK leaves.
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_test_id("nav-dashboards").click()
    expect(page).to_have_url(re.compile(r"/dashboards$"))
    assert len(asked) == 2


def test_view_sql_is_laid_out_and_opens_in_sql_lab(admin_page: Page) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)
    revenue_by_category(page)
    page.get_by_test_id("chart-view-sql").click()
    shown = page.get_by_test_id("chart-sql")
    expect(shown).to_contain_text("GROUP BY")
    sql = shown.text_content() or ""
    assert re.search(r"^FROM ", sql, re.MULTILINE) and re.search(r"^LIMIT 4$", sql, re.MULTILINE)
    page.once("dialog", lambda dialog: dialog.accept())  # unsaved: leave anyway
    page.get_by_test_id("chart-sql-open").click()
    expect(page).to_have_url(re.compile(r"/sqllab$"))
    editor = page.get_by_test_id("sql-editor")
    expect(editor).to_contain_text('SUM("line_total")')
    expect(editor).to_contain_text("GROUP BY")


def _save(api: APIRequestContext, name: str) -> dict[str, Any]:
    spec = {
        "type": "line",
        "source": SALES,
        "time": {"column": "order_date", "grain": "month"},
        "metrics": [{"agg": "count"}],
    }
    response = api.post("/api/v1/charts", data={"name": name, "connection": "demo", "spec": spec})
    assert response.ok, response.text()
    return response.json()  # type: ignore[no-any-return]


def test_charts_list_searches_and_shows_dates(
    admin_page: Page, admin_api: APIRequestContext
) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)
    tulips = _save(admin_api, "Tulip sales by month")
    roses = _save(admin_api, "Rose returns by month")
    drawn = admin_api.get(f"/api/v1/charts/{tulips['id']}/data")
    assert drawn.ok, drawn.text()
    page.goto("/charts")
    rows = page.get_by_test_id("chart-row")
    tulip_row = page.locator(f'[data-testid="chart-row"][data-chart-id="{tulips["id"]}"]')
    rose_row = page.locator(f'[data-testid="chart-row"][data-chart-id="{roses["id"]}"]')
    expect(tulip_row).to_be_visible()
    expect(rose_row).to_be_visible()
    # A date with the time: "6 Dec 2026, 14:03", not only "14:03".
    updated = tulip_row.get_by_test_id("chart-updated")
    expect(updated).to_have_text(re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$"))
    # A picture of your own last result of the chart, else of its type (nothing is run).
    expect(tulip_row.locator("svg.chart-thumb")).to_have_attribute(
        "aria-label", "Line chart: the last result"
    )
    expect(tulip_row.locator("svg.chart-thumb polyline")).to_have_count(1)
    expect(rose_row.locator("svg.chart-thumb")).to_have_attribute("aria-label", "Line chart")
    expect(tulip_row.get_by_test_id("favourite-star")).to_be_visible()

    page.get_by_test_id("charts-search").fill("tulip SALES")
    expect(tulip_row).to_be_visible()
    expect(rose_row).to_have_count(0)
    expect(rows).to_have_count(rows.count())
    assert all("tulip" in (t or "").lower() for t in rows.all_text_contents())
    page.get_by_test_id("charts-search").fill("no chart is called this")
    expect(page.get_by_test_id("charts-none")).to_have_text("No chart matches.")
    page.get_by_test_id("charts-search").fill("")
    expect(rose_row).to_be_visible()
