"""How many BigQuery API calls each surface costs, counted by the recording proxy: on BigQuery
every round trip is tens to hundreds of milliseconds, so a call saved is latency saved."""

from __future__ import annotations

from typing import Any

import pytest

from belvedere.services import Services
from belvedere.warehouses.bigquery.jobs_query import FIRST_WAIT_SECONDS
from tests.support.faults import HttpProxy, RecordedRequest, kind_is
from tests.support.web.client import Client

#: The calls that run a query or wait for its rows (a dry run is counted apart).
QUERY_CALLS = ("jobs.insert", "jobs.query", "jobs.getQueryResults", "jobs.get")
AGGREGATE = "SELECT kind, COUNT(*) AS n, SUM(value) AS total FROM shop.events GROUP BY kind"
SPEC = {
    "type": "bar",
    "source": {"kind": "table", "schema": "shop", "table": "events"},
    "dimensions": ["kind"],
    "metrics": [{"agg": "sum", "column": "value"}],
}


def _dry_run(request: RecordedRequest) -> bool:
    body = request.body if isinstance(request.body, dict) else {}
    return bool(body.get("configuration", {}).get("dryRun") or body.get("dryRun"))


def query_calls(proxy: HttpProxy) -> list[str]:
    """The query API calls the proxy saw, in order (dry runs left out)."""
    return [r.kind for r in proxy.requests if r.kind in QUERY_CALLS and not _dry_run(r)]


def query_starts(proxy: HttpProxy) -> int:
    """How many queries were started (``jobs.insert`` or ``jobs.query``, dry runs left out)."""
    return sum(kind in ("jobs.insert", "jobs.query") for kind in query_calls(proxy))


@pytest.fixture
def uncapped(bq_services: Services, bq_options: dict[str, Any]) -> str:
    """A ``service_account``-like connection with no byte cap (so no dry run is due)."""
    bq_services.connections.add("bq_nocap", "bigquery", bq_options)
    return "bq_nocap"


def test_a_short_query_is_one_api_call(
    bq_api: Client, bq_http_proxy: HttpProxy, uncapped: str
) -> None:
    body = {"connection": uncapped, "sql": AGGREGATE, "wait_ms": 20_000}
    run = bq_api.post("/api/v1/runs", json=body).json()
    assert run["status"] == "succeeded", run
    assert query_calls(bq_http_proxy) == ["jobs.query"]


def test_an_answer_slower_than_the_first_wait_is_still_one_call(
    bq_api: Client, bq_http_proxy: HttpProxy, uncapped: str
) -> None:
    # The call's server-side wait is short; its HTTP timeout is not: a slow network (here the
    # proxy holds the call) does not time the answer out into retries.
    bq_http_proxy.delay(FIRST_WAIT_SECONDS + 0.5, when=kind_is("jobs.query"))
    body = {"connection": uncapped, "sql": AGGREGATE, "wait_ms": 20_000}
    run = bq_api.post("/api/v1/runs", json=body).json()
    assert run["status"] == "succeeded", run
    assert query_calls(bq_http_proxy) == ["jobs.query"]


def test_a_query_with_no_byte_cap_makes_no_dry_run(
    bq_api: Client, bq_http_proxy: HttpProxy, uncapped: str
) -> None:
    body = {"connection": uncapped, "sql": AGGREGATE, "wait_ms": 20_000}
    assert bq_api.post("/api/v1/runs", json=body).json()["status"] == "succeeded"
    assert not [r for r in bq_http_proxy.requests if _dry_run(r)]
    assert query_starts(bq_http_proxy) == 1


def test_a_cached_chart_makes_no_call_and_a_dashboard_of_12_tiles_makes_12(
    bq_api: Client, bq_http_proxy: HttpProxy, uncapped: str
) -> None:
    ids = []
    for n in range(12):  # twelve different queries
        spec = {**SPEC, "limit": 10 + n}
        chart = bq_api.post(
            "/api/v1/charts", json={"name": f"Chart {n}", "connection": uncapped, "spec": spec}
        )
        assert chart.status_code == 201, chart.text
        ids.append(chart.json()["id"])
    board = bq_api.post("/api/v1/dashboards", json={"title": "Twelve"}).json()
    tiles = [
        {"id": f"t{n}", "kind": "chart", "chart_id": chart_id, "x": 0, "y": 4 * n, "w": 6, "h": 4}
        for n, chart_id in enumerate(ids)
    ]
    layout = bq_api.patch(f"/api/v1/dashboards/{board['id']}", json={"layout": {"tiles": tiles}})
    assert layout.status_code == 200, layout.text

    def load(force: bool) -> list[dict[str, Any]]:
        return [
            bq_api.post(
                f"/api/v1/dashboards/{board['id']}/charts/{chart_id}/data", json={"force": force}
            ).json()
            for chart_id in ids
        ]

    bq_http_proxy.clear()
    cold = load(force=True)
    assert all(tile.get("rows") is not None for tile in cold), cold
    assert query_starts(bq_http_proxy) == 12

    bq_http_proxy.clear()
    warm = load(force=False)
    assert all(tile["cached"] for tile in warm), warm
    assert query_calls(bq_http_proxy) == []
