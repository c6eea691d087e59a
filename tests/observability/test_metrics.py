"""``GET /metrics``: Prometheus text of what this process counted (runs, cache lookups, its
lanes) and of the installation's state, open or behind a bearer token."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx

from belvedere.concurrency import Pools
from belvedere.observability import Metrics, serve_worker_metrics
from belvedere.services import Services
from belvedere.settings import Settings
from tests.observability.scraping import Samples, scrape
from tests.support.servers.ports import free_port
from tests.support.web.client import Client, MakeClient, app_clients

FOREVER = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"
WITHIN = 10.0


def eventually(read: Callable[[], Any], within: float = WITHIN) -> Any:
    """``read()`` once it is truthy; fails after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not (value := read()):
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)
    return value


def test_the_text_parses_and_shows_the_process_and_its_lanes(app_client: MakeClient) -> None:
    samples = scrape(app_client())  # no session: a scraper does not sign in
    assert samples.get("belvedere_runs_active", status="queued") == 0
    assert samples.get("belvedere_runs_active", status="running") == 0
    assert samples.get("belvedere_lane_size", lane="io") == 32
    assert samples.get("belvedere_lane_busy", lane="io") == 1  # the scrape itself
    assert samples.get("belvedere_result_cache_lookups_total", outcome="hit") == 0
    assert samples.get("belvedere_scrape_errors_total", family="runs_active") == 0
    assert {"process_cpu_seconds_total", "python_info"} <= samples.names()
    assert samples.labelled("belvedere_queue_depth") == []  # no broker, no queues


def test_a_running_query_is_active_until_it_is_cancelled(
    client: Client, app_client: MakeClient
) -> None:
    scraper = app_client()
    run = client.post("/api/v1/runs", json={"connection": "demo", "sql": FOREVER, "wait_ms": 0})
    eventually(lambda: scrape(scraper).get("belvedere_runs_active", status="running") == 1)
    assert scrape(scraper).get("belvedere_lane_busy", lane="embedded") == 1
    client.post(f"/api/v1/runs/{run.json()['id']}/cancel")
    eventually(lambda: scrape(scraper).get("belvedere_runs_active", status="running") == 0)


def test_a_query_run_in_process_is_counted(client: Client, app_client: MakeClient) -> None:
    sql = "SELECT 42 AS answer"
    run = client.post("/api/v1/runs", json={"connection": "demo", "sql": sql}).json()
    assert run["status"] == "succeeded"
    scraper = app_client()
    labels = {"status": "succeeded", "surface": "api", "connection": "demo"}
    eventually(lambda: scrape(scraper).get("belvedere_runs_total", **labels) == 1, within=5)
    samples = scrape(scraper)
    assert samples.get("belvedere_run_duration_seconds_count", surface="api", status="succeeded")
    assert samples.get("belvedere_run_queue_wait_seconds_count", queue="local") == 1


def test_a_token_guards_the_metrics(make_settings: Callable[..., Settings]) -> None:
    services = Services(make_settings(metrics_token="scrape-me-please"))
    try:
        with app_clients(services) as make:
            scraper = make()
            refused = scraper.get("/metrics")
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "metrics_token_required"
            wrong = scraper.get("/metrics", headers={"authorization": "Bearer guessed"})
            assert wrong.status_code == 401
            basic = scraper.get("/metrics", headers={"authorization": "Basic scrape-me-please"})
            assert basic.status_code == 401
            assert scrape(scraper, token="scrape-me-please").get("belvedere_lane_size", lane="io")
    finally:
        services.close()


def test_an_empty_token_opens_nothing(make_settings: Callable[..., Settings]) -> None:
    services = Services(make_settings(metrics_token=""))  # set from a missing secret
    try:
        with app_clients(services) as make:
            scraper = make()
            for header in ("Bearer", "Bearer ", "bearer  "):
                answer = scraper.get("/metrics", headers={"authorization": header})
                assert answer.status_code == 401
    finally:
        services.close()


def _run(status: str, *, waited: float | None, ran: float | None) -> SimpleNamespace:
    submitted = datetime(2026, 1, 1, tzinfo=UTC)
    started = submitted + timedelta(seconds=waited) if waited is not None else None
    finished = started + timedelta(seconds=ran) if started and ran is not None else None
    return SimpleNamespace(
        status=status,
        surface="chart",
        connection_name="warehouse",
        submitted_at=submitted,
        started_at=started,
        finished_at=finished or submitted + timedelta(seconds=1),
    )


def test_an_ended_run_is_counted_with_its_wait_and_duration() -> None:
    metrics, other = Metrics(), Metrics()  # two in one process do not collide
    metrics.run_started("remote", 2.0)
    metrics.run_ended(_run("failed", waited=2.0, ran=3.0))  # type: ignore[arg-type]
    metrics.run_ended(_run("cancelled", waited=None, ran=None))  # type: ignore[arg-type]
    value = metrics.registry.get_sample_value
    labels = {"surface": "chart", "connection": "warehouse"}
    assert value("belvedere_runs_total", {"status": "failed", **labels}) == 1
    assert value("belvedere_runs_total", {"status": "cancelled", **labels}) == 1
    assert value("belvedere_run_queue_wait_seconds_sum", {"queue": "remote"}) == 2.0
    assert value("belvedere_run_queue_wait_seconds_count", {"queue": "remote"}) == 1
    duration = {"surface": "chart", "status": "failed"}
    assert value("belvedere_run_duration_seconds_sum", duration) == 3.0
    assert (
        value("belvedere_run_duration_seconds_count", {**duration, "status": "cancelled"}) is None
    )
    assert (
        other.registry.get_sample_value("belvedere_runs_total", {"status": "failed", **labels})
        is None
    )


def test_cache_lookups_are_counted_by_outcome() -> None:
    metrics = Metrics()
    for hit in (True, False, False):
        metrics.cache_lookup(hit)
    value = metrics.registry.get_sample_value
    assert value("belvedere_result_cache_lookups_total", {"outcome": "hit"}) == 1
    assert value("belvedere_result_cache_lookups_total", {"outcome": "miss"}) == 2


def test_a_lane_counts_the_calls_running_on_it() -> None:
    pools = Pools.create(remote_threads=2, embedded_threads=2)
    gate_remote, gate_embedded = _Gate(), _Gate()
    try:
        assert (pools.remote.size, pools.embedded.size, pools.remote.busy) == (2, 2, 0)
        done = [pools.remote.submit(gate_remote.wait), pools.embedded.submit(gate_embedded.wait)]
        eventually(lambda: pools.remote.busy == 1 and pools.embedded.busy == 1)
        gate_remote.open()
        eventually(lambda: pools.remote.busy == 0)
        assert pools.embedded.busy == 1
        gate_embedded.open()
        eventually(lambda: pools.embedded.busy == 0)
        assert all(future.result(5) for future in done)
    finally:
        gate_remote.open()
        gate_embedded.open()
        pools.shutdown()


class _Gate:
    def __init__(self) -> None:
        self._event = threading.Event()

    def wait(self) -> bool:
        return self._event.wait(WITHIN)

    def open(self) -> None:
        self._event.set()


def test_a_worker_serves_its_metrics_on_its_own_port(services: Services) -> None:
    port = free_port()
    server, _ = serve_worker_metrics(services.metrics.registry, port, host="127.0.0.1")
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert response.status_code == 200
        samples = Samples(response.text)
        assert samples.get("belvedere_lane_size", lane="io") == 32
        assert samples.get("belvedere_runs_active", status="queued") == 0
    finally:
        server.shutdown()
        server.server_close()
