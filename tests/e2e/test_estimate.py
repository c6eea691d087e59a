"""The cost estimate next to Run, and what a run cost, in the results header. DuckDB cannot
estimate, so the estimate endpoint's answers (a BigQuery dry run's) are served by request
routing; the runs are real, their cost fields added on the way to the browser."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.sqllab import LONG_QUERY, open_sqllab, run_sql, type_sql

pytestmark = pytest.mark.e2e

GB = 1024**3
CAP = 10 * GB
BYTE_CAP_MESSAGE = (
    "This query would process 54.0 GB, more than the 10.0 GB allowed per query on bq (the "
    "connection's cap). No job was started. An admin can grant a one-off raise."
)


def dry_run(sql: str) -> tuple[int, dict[str, Any]]:
    """What BigQuery's dry run would say of `sql` (status, body)."""
    if "oops" in sql:
        return 400, {
            "error": {
                "code": "invalid_query",
                "message": "Unrecognized name: oops at [1:8]",
                "line": 1,
                "column": 8,
            }
        }
    size = 54 * GB if "order_lines" in sql else 1288490188
    text = "will process 54.0 GB" if size > CAP else "will process 1.2 GB"
    return 200, {"supported": True, "bytes": size, "text": text, "cap": CAP, "over_cap": size > CAP}


def estimates(page: Page) -> list[str]:
    """Serve dry-run estimates; the SQL of each request, in order."""
    asked: list[str] = []

    def answer(route: Route) -> None:
        sql = route.request.post_data_json["sql"]
        asked.append(sql)
        status, body = dry_run(sql)
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/estimate", answer)
    return asked


def test_no_estimate_where_the_warehouse_cannot_make_one(admin_page: Page) -> None:
    page = open_sqllab(admin_page)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/estimate") else None)
    with page.expect_response("**/api/v1/estimate") as answered:
        type_sql(page, "SELECT 1")
    assert answered.value.json()["supported"] is False
    type_sql(page, "SELECT 2")
    page.wait_for_timeout(900)  # past the estimate's pause: no second request
    expect(page.get_by_test_id("estimate")).to_be_hidden()
    assert len(asked) == 1


def test_the_estimate_follows_the_sql(admin_page: Page) -> None:
    page = admin_page
    asked = estimates(page)
    open_sqllab(page)
    estimate = page.get_by_test_id("estimate")

    type_sql(page, "")
    page.keyboard.type("SELECT * FROM orders", delay=15)  # faster than the pause: one request
    expect(estimate).to_have_text("This query will process 1.2 GB")
    expect(estimate).to_have_attribute("data-state", "ok")
    assert asked == ["SELECT * FROM orders"]

    type_sql(page, "SELECT * FROM order_lines")
    expect(estimate).to_have_text(
        "⚠This query will process 54.0 GB, above this connection's cap of 10.0 GB"
    )
    expect(estimate).to_have_attribute("data-state", "over-cap")

    type_sql(page, "SELECT oops")
    expect(estimate).to_have_attribute("data-state", "invalid")
    expect(estimate).to_contain_text("Unrecognized name: oops at [1:8]")
    expect(page.locator(".cm-lintRange-warning")).to_have_text("oops")

    type_sql(page, "SELECT 1;\nSELECT * FROM order_lines")
    page.keyboard.press("Shift+Home")  # the selection is what would run
    expect(estimate).to_have_text(
        "⚠This selection will process 54.0 GB, above this connection's cap of 10.0 GB"
    )
    expect(page.locator(".cm-lintRange-warning")).to_have_count(0)
    assert asked[-1] == "SELECT * FROM order_lines"

    type_sql(page, "")
    expect(estimate).to_be_hidden()


def test_the_estimate_stays_while_a_query_runs(admin_page: Page) -> None:
    page = admin_page
    estimates(page)
    open_sqllab(page)
    type_sql(page, LONG_QUERY)
    expect(page.get_by_test_id("estimate")).to_have_text("This query will process 1.2 GB")
    page.locator("#run").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "running")
    expect(page.get_by_test_id("estimate")).to_have_text("This query will process 1.2 GB")
    page.locator("#cancel").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "cancelled")
    expect(page.get_by_test_id("estimate")).to_be_visible()


def test_the_results_header_shows_what_a_run_cost(admin_page: Page) -> None:
    page = admin_page

    def with_cost(route: Route) -> None:
        answer = route.fetch()
        run = answer.json()
        run.update(bytes_processed=1288490188, bytes_billed=1289748480, job_id="job_e2e_1")
        route.fulfill(response=answer, json=run)

    page.route("**/api/v1/runs", with_cost)
    open_sqllab(page)
    run_sql(page, "SELECT 42 AS answer")
    cost = page.get_by_test_id("run-cost")
    expect(cost).to_have_text("1.2 GB processed · 1.2 GB billed · job job_e2e_1")
    expect(page.get_by_test_id("result-summary")).to_have_text("1 row")

    page.unroute("**/api/v1/runs")
    run_sql(page, "SELECT 43 AS answer")  # DuckDB reports no cost
    expect(cost).to_have_text("")


def test_a_run_over_the_byte_cap_reads_clearly(admin_page: Page) -> None:
    page = admin_page

    def over_cap(route: Route) -> None:
        answer = route.fetch()
        run = answer.json()
        error = {"code": "byte_cap_exceeded", "message": BYTE_CAP_MESSAGE, "line": None}
        run.update(status="failed", error=error, row_count=None, result=None)
        route.fulfill(status=400, json={"error": error, "run": run})

    page.route("**/api/v1/runs", over_cap)
    open_sqllab(page)
    run_sql(page, "SELECT * FROM order_lines", status="failed")
    error = page.get_by_test_id("run-error")
    expect(error.locator(".error-title")).to_have_text("Over the byte cap per query")
    expect(error.locator(".error-message")).to_have_text(BYTE_CAP_MESSAGE)
    expect(error).to_contain_text("Nothing ran and nothing was billed.")
