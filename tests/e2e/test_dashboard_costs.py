"""What a dashboard costs, in the browser, on a BigQuery connection to the emulator through the
tests' recording proxy (whose dry runs say the given bytes; the emulator's say 0): each tile's
footer says what its data cost, and a force refresh above the threshold asks first, showing the
estimate; Cancel runs nothing, Refresh runs the charts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Locator, Page, Route, expect

from tests.costs.boards import api_send, emulator_options, make_chart, make_dashboard
from tests.costs.bq import dry_run_answer
from tests.costs.bq import is_dry_run as dry_run
from tests.e2e.sqllab import open_sqllab, type_sql
from tests.support.bigquery.emulator import Emulator
from tests.support.faults import HttpProxy

pytestmark = [pytest.mark.e2e, pytest.mark.bigquery]

NAME = "spend_bq"  # sorts after "demo", which other tests expect SQL Lab to open on
GB = 1024**3
STARTS = ("jobs.insert", "jobs.query")


@pytest.fixture(scope="module")
def proxy(request: pytest.FixtureRequest) -> Iterator[HttpProxy]:
    """The recording proxy in front of the emulator's REST API."""
    emulator: Emulator = request.getfixturevalue("bq_emulator")
    with HttpProxy(emulator.rest_url) as found:
        yield found


@pytest.fixture
def board(
    request: pytest.FixtureRequest, admin_api: APIRequestContext, proxy: HttpProxy
) -> Iterator[dict[str, Any]]:
    """A dashboard of two charts on a BigQuery connection (no byte cap: its queries make no
    dry run) through the proxy; removed after the test."""
    emulator: Emulator = request.getfixturevalue("bq_emulator")
    options = emulator_options(emulator, proxy.url)
    added = admin_api.post(
        "/api/v1/connections", data={"name": NAME, "kind": "bigquery", "options": options}
    )
    assert added.ok, added.text()
    send = api_send(admin_api)
    charts: list[int] = []
    dashboard: int | None = None
    try:
        for name, limit in (("Events by kind", 11), ("Events, top 5", 5)):
            charts.append(make_chart(send, name, limit=limit, connection=NAME))
        dashboard = make_dashboard(send, charts, title="Events")
        yield {"id": dashboard, "charts": charts}
    finally:
        proxy.reset()
        if dashboard is not None:
            admin_api.delete(f"/api/v1/dashboards/{dashboard}")
        for chart_id in charts:
            admin_api.delete(f"/api/v1/charts/{chart_id}")
        admin_api.delete(f"/api/v1/connections/{NAME}")


def started(proxy: HttpProxy) -> int:
    """Queries the proxy saw started (dry runs left out)."""
    return sum(r.kind in STARTS and not dry_run(r) for r in proxy.requests)


def costs(page: Page) -> Locator:
    """The footers of the dashboard's tiles: what each one's data cost."""
    return page.get_by_test_id("dashboard-tile").get_by_test_id("tile-cost")


def open_dashboard(page: Page, board: dict[str, Any]) -> None:
    """Open the dashboard: its charts run (the emulator bills nothing, and its statistics say
    0 bytes processed), then, opened again, come from the cache."""
    page.goto(f"/dashboards/{board['id']}")
    expect(costs(page)).to_have_text(["0 B processed"] * 2, timeout=60_000)
    page.reload()
    expect(costs(page)).to_have_text(["from cache: nothing billed"] * 2)


def test_a_costly_force_refresh_asks_first_and_cancel_runs_nothing(
    admin_page: Page, board: dict[str, Any], proxy: HttpProxy
) -> None:
    page = admin_page
    open_dashboard(page, board)
    proxy.status(200, dry_run_answer(54 * GB), when=dry_run)
    proxy.clear()
    loads: list[str] = []
    page.on("request", lambda r: loads.append(r.url) if r.url.endswith("/data") else None)
    page.get_by_test_id("dashboard-force-refresh").click()
    dialog = page.get_by_test_id("refresh-confirm")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("refresh-estimate")).to_contain_text(
        "A force refresh runs its 2 charts again in the warehouse, skipping the cache: "
        "it will process 108.0 GB (about "
    )
    expect(dialog.get_by_test_id("refresh-reasons")).to_have_text(
        "It would process 108.0 GB, more than 10.0 GB."
    )
    dialog.get_by_text("Each chart").click()
    expect(dialog.get_by_test_id("refresh-tiles").locator("tbody tr")).to_have_text(
        [f"Events by kind{NAME}54.0 GB", f"Events, top 5{NAME}54.0 GB"]
    )
    assert sum(dry_run(r) for r in proxy.requests) == 2  # dry runs only

    dialog.get_by_test_id("dialog-cancel").click()
    expect(dialog).to_have_count(0)
    expect(costs(page)).to_have_text(["from cache: nothing billed"] * 2)
    assert (loads, started(proxy)) == ([], 0)

    page.get_by_test_id("dashboard-force-refresh").click()
    page.get_by_test_id("refresh-confirm-submit").click()
    expect(dialog).to_have_count(0)
    expect(costs(page)).to_have_text(["0 B processed"] * 2, timeout=60_000)
    # one load per chart: the Refresh's (had the Cancel run them too, there would be four)
    assert len(loads) == 2 and started(proxy) == 2


def test_a_cheap_force_refresh_runs_at_once(
    admin_page: Page, board: dict[str, Any], proxy: HttpProxy
) -> None:
    page = admin_page
    open_dashboard(page, board)
    proxy.status(200, dry_run_answer(GB), when=dry_run)
    proxy.clear()
    with page.expect_response(f"**/api/v1/dashboards/{board['id']}/estimate") as estimated:
        page.get_by_test_id("dashboard-force-refresh").click()
    assert estimated.value.json()["confirm"] is False
    expect(costs(page)).to_have_text(["0 B processed"] * 2, timeout=60_000)
    expect(page.get_by_test_id("refresh-confirm")).to_have_count(0)
    assert started(proxy) == 2


def test_an_auto_refresh_over_the_budget_is_refused_under_its_field(
    admin_page: Page, admin_api: APIRequestContext, board: dict[str, Any], proxy: HttpProxy
) -> None:
    rule = admin_api.post(
        "/api/v1/cost-rules",
        data={"connection": NAME, "scope": "user", "subject": "admin", "daily_bytes": 50 * GB},
    )
    assert rule.ok, rule.text()
    try:
        proxy.status(200, dry_run_answer(54 * GB), when=dry_run)
        page = admin_page
        page.goto(f"/dashboards/{board['id']}")
        page.get_by_test_id("dashboard-edit").click()
        page.get_by_test_id("dashboard-refresh-seconds").select_option(label="Every hour")
        page.get_by_test_id("dashboard-save").click()
        refusal = page.get_by_test_id("dashboard-refresh-error")
        expect(refusal).to_contain_text(
            "Auto-refresh: Refreshing every hour would process about 2.5 TB a day on "
            f"{NAME}, more than the 50.0 GB left of your daily budget of 50.0 GB."
        )
        expect(refusal).to_contain_text("Even once a day would not fit: turn auto-refresh off.")
        expect(page.get_by_test_id("dashboard-refresh-seconds")).to_have_attribute(
            "aria-invalid", "true"
        )
        expect(page.get_by_test_id("dashboard-save-error")).to_be_hidden()

        page.get_by_test_id("dashboard-refresh-seconds").select_option(label="Off")
        expect(refusal).to_be_hidden()
        page.get_by_test_id("dashboard-save").click()
        expect(page.get_by_test_id("dashboard-message")).to_have_text("Saved.")
    finally:
        admin_api.delete(f"/api/v1/cost-rules/{rule.json()['id']}")


BUDGET = "120.0 GB left of your daily budget of 1.0 TB, resets at 00:00 on 8 Dec (Europe/Paris)"


def test_sql_lab_shows_the_budget_left_beside_the_estimate(admin_page: Page) -> None:
    """The estimate's budget fields (a BigQuery dry run's, served by request routing on the
    demo connection) beside the estimate, and a query over the budget left, warned of."""
    page = admin_page

    def answer(route: Route) -> None:
        size = 300 * GB if "big" in route.request.post_data_json["sql"] else 2 * GB
        body = {
            "supported": True,
            "bytes": size,
            "text": f"will process {size // GB}.0 GB",
            "cap": None,
            "over_cap": False,
            "applies": True,
            "cap_from": None,
            "budget_left": 120 * GB,
            "budget_text": BUDGET,
            "over_budget": size > 120 * GB,
            "raise_bytes": None,
        }
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/estimate", answer)
    open_sqllab(page)
    estimate = page.get_by_test_id("estimate")
    type_sql(page, "SELECT * FROM small")
    expect(estimate).to_have_attribute("data-state", "ok")
    expect(estimate).to_have_text(f"This query will process 2.0 GB · {BUDGET}")
    expect(estimate.get_by_test_id("estimate-budget")).to_have_text(f" · {BUDGET}")

    type_sql(page, "SELECT * FROM big")
    expect(estimate).to_have_attribute("data-state", "over-budget")
    expect(estimate).to_have_text(f"⚠This query will process 300.0 GB, more than the {BUDGET}")
    expect(estimate).to_have_attribute("title", re.compile("The query would be refused."))
