"""Every surface on one path: with BigQuery never answering a query, SQL Lab, the API, chart
explore, a dashboard's load and its force refresh, and exports each end with a clear timeout
message within the deadline plus 2 s, while the server keeps answering other requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from belvedere.services import Services
from tests.bigquery.test_faults import query_job
from tests.support.faults import HttpProxy
from tests.support.servers.app import live_server
from tests.support.web.client import PASSWORD, app_clients, signed_in

DEADLINE_SECONDS = 3.0
GRACE_SECONDS = 2.0
EVENTS = {"kind": "table", "schema": "shop", "table": "events"}
SPEC = {
    "type": "line",
    "source": EVENTS,
    "time": {"column": "ts", "grain": "day"},
    "dimensions": ["kind"],
    "metrics": [{"agg": "sum", "column": "value"}],
}


def _timeout_message(response: httpx.Response) -> str:
    """The message of a timed-out answer: a 504 error, or a run that ended ``timed_out``."""
    body = response.json()
    if response.status_code == 504:
        assert body["error"]["code"] == "timed_out", body
        return str(body["error"]["message"])
    run = body.get("run", body)
    assert run["status"] == "timed_out", body
    return str(run["error"]["message"])


def test_every_surface_times_out_cleanly_while_the_server_answers(
    bq_services: Services, bq_http_proxy: HttpProxy
) -> None:
    bq_services.connections.update("bq", timeout_seconds=DEADLINE_SECONDS)
    with app_clients(bq_services) as clients, live_server(clients.app) as url:
        api = signed_in(url, "admin", PASSWORD)
        chart = api.post(
            "/api/v1/charts", json={"name": "Events", "connection": "bq", "spec": SPEC}
        )
        assert chart.status_code == 201, chart.text
        chart_id = chart.json()["id"]
        board = api.post("/api/v1/dashboards", json={"title": "Events"}).json()
        tile = {"id": "t", "kind": "chart", "chart_id": chart_id, "x": 0, "y": 0, "w": 6, "h": 4}
        api.patch(f"/api/v1/dashboards/{board['id']}", json={"layout": {"tiles": [tile]}})
        data_url = f"/api/v1/dashboards/{board['id']}/charts/{chart_id}/data"

        bq_http_proxy.hang(when=query_job)
        other = {**SPEC, "limit": 99}  # not the saved chart's query: nothing cached to serve
        surfaces: dict[str, Callable[[], httpx.Response]] = {
            "sql lab": lambda: api.post(
                "/api/v1/runs",
                json={
                    "connection": "bq",
                    "sql": "SELECT 1",
                    "surface": "sqllab",
                    "wait_ms": 30_000,
                },
            ),
            "api": lambda: api.post(
                "/api/v1/runs", json={"connection": "bq", "sql": "SELECT 2", "wait_ms": 30_000}
            ),
            "chart explore": lambda: api.post(
                "/api/v1/charts/explore", json={"connection": "bq", "spec": other}
            ),
            "dashboard load": lambda: api.post(data_url, json={}),
            "force refresh": lambda: api.post(data_url, json={"force": True}),
            "chart export": lambda: api.get(
                f"/api/v1/charts/{chart_id}/export", params={"format": "csv"}
            ),
        }

        def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
            started = time.monotonic()
            response = call()
            return response, time.monotonic() - started

        health: list[float] = []
        with ThreadPoolExecutor(len(surfaces)) as pool:
            futures = {name: pool.submit(timed, call) for name, call in surfaces.items()}
            quick = httpx.Client(base_url=url, timeout=5.0)
            while not all(f.done() for f in futures.values()):
                started = time.monotonic()
                assert quick.get("/health").status_code == 200
                assert api.get("/api/v1/dashboards", timeout=5.0).status_code == 200
                health.append(time.monotonic() - started)
                time.sleep(0.1)
            answers = {name: f.result() for name, f in futures.items()}
        bq_http_proxy.reset()

        for name, (response, took) in answers.items():
            message = _timeout_message(response)
            assert "deadline" in message, (name, message)
            assert took < DEADLINE_SECONDS + GRACE_SECONDS, (name, took)
        assert len(health) >= 5 and max(health) < 1.0, health
        jobs: Any = [r for r in bq_http_proxy.requests if query_job(r)]
        assert len(jobs) >= len(surfaces) - 1  # dashboard load and force refresh may share one
