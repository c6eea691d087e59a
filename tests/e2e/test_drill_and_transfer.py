"""Drill to detail and dashboard export/import in a real browser: a click on a bar, "Show rows
behind this", a paged grid of that bar's rows with an Export; a dashboard exported from the
list downloads a JSON document, and importing that file lands on a new dashboard that draws."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Locator, Page, expect

pytestmark = pytest.mark.e2e

SLOW = 30_000
SALES = {"kind": "table", "schema": "main", "table": "sales"}


@pytest.fixture
def board(admin_api: APIRequestContext) -> dict[str, Any]:
    """Lines by region, on a dashboard with a date filter."""
    spec = {
        "type": "bar",
        "source": SALES,
        "dimensions": ["region"],
        "metrics": [{"agg": "count", "label": "lines"}],
    }
    chart = admin_api.post(
        "/api/v1/charts", data={"name": "Lines by region", "connection": "demo", "spec": spec}
    )
    assert chart.status == 201, chart.text()
    chart_id = int(chart.json()["id"])
    created = admin_api.post("/api/v1/dashboards", data={"title": "Drillable"}).json()
    tiles = [{"id": "r", "kind": "chart", "chart_id": chart_id, "x": 0, "y": 0, "w": 12, "h": 4}]
    filters = [{"column": "order_date", "kind": "date_range", "label": "Ordered"}]
    changed = admin_api.patch(
        f"/api/v1/dashboards/{created['id']}", data={"layout": {"tiles": tiles}, "filters": filters}
    )
    assert changed.ok, changed.text()
    return {"id": created["id"], "chart": chart_id}


def column_texts(page: Page, name: str) -> list[str]:
    """The texts of one column of the drill grid, by its header's name."""
    return list(
        page.get_by_test_id("drill-table").evaluate(
            """(table, name) => {
                const heads = [...table.querySelectorAll("thead th")];
                const at = heads.findIndex((th) => th.querySelector(".col-name")?.textContent === name);
                return [...table.querySelectorAll("tbody tr")].map((tr) => tr.children[at].textContent);
            }""",
            name,
        )
    )


def test_show_the_rows_behind_a_bar(
    admin_page: Page, board: dict[str, Any], tmp_path: Path
) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)
    page.goto(f"/dashboards/{board['id']}")
    tile = page.locator(f'[data-testid="dashboard-tile"][data-chart-id="{board["chart"]}"]')
    expect(tile).to_have_attribute("data-state", "ready")
    bars = tile.locator("g.mark-rect path")
    expect(bars).not_to_have_count(0)
    bars.first.click()
    page.get_by_test_id("menu").get_by_test_id("mark-drill").click()

    dialog = page.get_by_test_id("drill-dialog")
    expect(dialog).to_be_visible()
    summary = dialog.get_by_test_id("drill-summary")
    expect(summary).to_have_text(re.compile(r"^region = \S"))
    region = re.match(r"^region = (.+)$", summary.inner_text())
    assert region is not None
    info = dialog.get_by_test_id("drill-page-info")
    expect(info).to_have_text(re.compile("^Rows 1\u2013100 of [\\d,]+"))
    expect(dialog.get_by_test_id("drill-row")).to_have_count(100)
    assert set(column_texts(page, "region")) == {region.group(1)}  # the bar's rows only
    first_ids = column_texts(page, "order_id")
    expect(dialog.get_by_test_id("drill-previous")).to_be_disabled()

    dialog.get_by_test_id("drill-next").click()
    expect(info).to_have_text(re.compile("^Rows 101\u2013200 of "))
    assert column_texts(page, "order_id") != first_ids
    dialog.get_by_test_id("drill-previous").click()
    expect(info).to_have_text(re.compile("^Rows 1\u2013100 of "))

    with page.expect_download() as downloading:
        dialog.get_by_test_id("drill-export").click()
    download = downloading.value
    assert re.fullmatch(r"Lines-by-region-rows-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open(newline="") as file:
        rows = list(csv.reader(file))
    at = rows[0].index("region")
    assert len(rows) > 101 and {r[at] for r in rows[1:]} == {region.group(1)}
    expect(dialog).to_be_visible()  # exporting keeps the rows open

    dialog.get_by_test_id("dialog-cancel").click()
    expect(dialog).to_have_count(0)


def test_a_viewer_is_offered_the_rows_only_when_the_owner_lets_them(
    admin_page: Page,
    admin_api: APIRequestContext,
    board: dict[str, Any],
    page_as: Callable[[str, str], Page],
) -> None:
    """demo queries as one shared account: a viewer of the dashboard is not offered "Show rows
    behind this" (the server would refuse it) until the chart's owner lets viewers see them,
    with the box in the chart builder's save dialog."""
    viewer = page_as("vera", "viewer")
    viewer.set_default_timeout(SLOW)
    shares = {"shares": [{"user": "vera", "access": "viewer"}]}
    assert admin_api.put(f"/api/v1/dashboards/{board['id']}/shares", data=shares).ok

    def mark_menu() -> Locator:
        viewer.goto(f"/dashboards/{board['id']}")
        tile = viewer.locator(f'[data-testid="dashboard-tile"][data-chart-id="{board["chart"]}"]')
        expect(tile).to_have_attribute("data-state", "ready")
        bars = tile.locator("g.mark-rect path")
        expect(bars).not_to_have_count(0)
        bars.first.click()
        menu = viewer.get_by_test_id("menu")
        expect(menu.get_by_test_id("mark-filter")).to_have_text(re.compile(r"^Filter dashboard"))
        return menu

    expect(mark_menu().get_by_test_id("mark-drill")).to_have_count(0)

    admin_page.set_default_timeout(SLOW)
    admin_page.goto(f"/charts/{board['chart']}")
    expect(admin_page.get_by_test_id("chart-status")).to_have_text("Done")  # loaded and run
    admin_page.get_by_test_id("chart-save").click()
    box = admin_page.get_by_test_id("chart-save-viewers-drill")
    expect(box).not_to_be_checked()
    box.check()
    admin_page.get_by_test_id("chart-save-submit").click()
    expect(admin_page.get_by_test_id("chart-save-dialog")).to_have_count(0)
    assert admin_api.get(f"/api/v1/charts/{board['chart']}").json()["viewers_may_drill"] is True

    mark_menu().get_by_test_id("mark-drill").click()
    dialog = viewer.get_by_test_id("drill-dialog")
    expect(dialog.get_by_test_id("drill-page-info")).to_have_text(re.compile("^Rows 1\u2013"))


def test_export_then_import_lands_on_a_new_dashboard(
    admin_page: Page, board: dict[str, Any], tmp_path: Path
) -> None:
    page = admin_page
    page.set_default_timeout(SLOW)
    page.goto("/dashboards")
    row = page.locator(f'[data-testid="dashboard-row"][data-dashboard-id="{board["id"]}"]')
    with page.expect_download() as downloading:
        row.get_by_test_id("dashboard-export").click()
    download = downloading.value
    assert re.fullmatch(
        r"Drillable-\d{4}-\d{2}-\d{2}\.dashboard\.json", download.suggested_filename
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = json.loads(saved.read_text())
    assert (document["kind"], document["dashboard"]["title"]) == (
        "belvedere.dashboard",
        "Drillable",
    )

    page.get_by_test_id("import-dashboard").click()
    dialog = page.get_by_test_id("import-dashboard-dialog")
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    dialog.get_by_test_id("import-dashboard-file").set_input_files(broken)
    dialog.get_by_test_id("import-dashboard-submit").click()
    expect(dialog.get_by_role("alert")).to_have_text(re.compile("not JSON"))

    dialog.get_by_test_id("import-dashboard-file").set_input_files(saved)
    dialog.get_by_test_id("import-dashboard-submit").click()
    expect(page).to_have_url(re.compile(r"/dashboards/(\d+)$"))
    new_id = int(page.url.rsplit("/", 1)[1])
    assert new_id != board["id"]
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Drillable")
    tile = page.get_by_test_id("dashboard-tile")
    expect(tile).to_have_count(1)
    assert tile.get_attribute("data-chart-id") != str(board["chart"])
    expect(tile.locator("g.mark-rect path")).not_to_have_count(0)
    expect(page.get_by_test_id("dashboard-access")).to_have_text("Owner")
