"""Queries run on worker threads: the server keeps answering while they run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.servers.app import live_server
from tests.support.web.client import PASSWORD, app_clients, signed_in

FOREVER = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"


def test_health_and_api_answer_while_every_query_thread_is_busy(
    make_settings: Callable[..., Settings], demo_path: Path
) -> None:
    threads = 2
    services = Services(make_settings(embedded_query_threads=threads))
    services.first_start()
    services.connections.add("demo", "duckdb", {"path": str(demo_path), "read_only": True})
    with app_clients(services) as clients, live_server(clients.app) as url:
        client = signed_in(url, "admin", PASSWORD)
        run_ids = [
            client.post(
                "/api/v1/runs", json={"connection": "demo", "sql": FOREVER, "wait_ms": 0}
            ).json()["id"]
            for _ in range(threads + 4)
        ]
        statuses = [client.get(f"/api/v1/runs/{r}").json()["status"] for r in run_ids]
        assert statuses.count("queued") >= 4  # every query thread is taken

        # A blocked event loop would not answer within the timeout: these queries run for hours.
        quick = httpx.Client(base_url=url, timeout=2.0)
        for _ in range(20):
            assert quick.get("/health").json()["status"] == "ok"
        assert client.get("/api/v1/history?limit=5", timeout=2.0).status_code == 200

        for run_id in run_ids:
            assert client.post(f"/api/v1/runs/{run_id}/cancel").json()["status"] == "cancelled"
        after = client.post(
            "/api/v1/runs", json={"connection": "demo", "sql": "SELECT 1", "wait_ms": 10000}
        )
        assert after.json()["status"] == "succeeded"
    services.close()
