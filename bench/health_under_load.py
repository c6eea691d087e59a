"""``health_under_load``: ``GET /health`` latency while long DuckDB queries keep the server busy.

Baseline: the same requests to the idle server. Then ``QUERIES`` long runs are submitted
(``wait_ms=0``): the server runs as many as its embedded-engine pool allows (one per CPU by
default) and queues the rest. Once that many are ``running``, the requests are repeated at a
steady pace; every run must still be active at the end, so the load lasted throughout. Finally
the runs are cancelled and the server's CPU use afterwards shows whether DuckDB really stopped.
"""

from __future__ import annotations

import os
import time

import httpx

from bench.support import (
    PASSWORD,
    Report,
    Server,
    cpu_seconds,
    expect,
    median,
    ms,
    percentile,
    profile_from_here,
    serve,
    signed_in_client,
    submit,
)

NAME = "health_under_load"
ANALYST = "bench-analyst"
ACTIVE = ("queued", "running")
QUERIES = 16
# Runs for hours unless cancelled.
SQL = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"
REQUESTS = 200
PACE_SECONDS = 0.02
TARGET_SECONDS = 0.100
START_TIMEOUT_SECONDS = 30.0
SETTLE_SECONDS = 2.0


def _latencies(client: httpx.Client) -> list[float]:
    """``REQUESTS`` sequential ``GET /health``, one every ``PACE_SECONDS`` at most."""
    latencies: list[float] = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get("/health")
        elapsed = time.perf_counter() - start
        expect(response.status_code == 200, f"/health answered {response.status_code}")
        latencies.append(elapsed)
        time.sleep(max(PACE_SECONDS - elapsed, 0))
    return latencies


Runs = list[tuple[httpx.Client, str]]


def _statuses(runs: Runs) -> list[str]:
    statuses = []
    for owner, run_id in runs:
        response = owner.get(f"/api/v1/runs/{run_id}")
        response.raise_for_status()
        statuses.append(str(response.json()["status"]))
    return statuses


def _wait_pool_busy(runs: Runs, threads: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while (statuses := _statuses(runs)).count("running") < threads:
        expect(time.monotonic() < deadline, f"the runs did not start: {statuses}")
        expect(all(s in ACTIVE for s in statuses), f"a run ended early: {statuses}")
        time.sleep(0.1)


def _second_user(client: httpx.Client) -> None:
    """An analyst beside the admin: one person's runs hold at most half of the embedded pool
    (it is shared fairly), so two people's fill it."""
    response = client.post(
        "/api/v1/users", json={"username": ANALYST, "password": PASSWORD, "role": "editor"}
    )
    expect(response.status_code == 201, f"creating {ANALYST} answered {response.status_code}")


def run() -> Report:
    with serve(NAME) as server, signed_in_client(server) as client:
        _second_user(client)
        with signed_in_client(server, username=ANALYST) as analyst:
            return _measure(server, client, analyst)


def _measure(server: Server, client: httpx.Client, analyst: httpx.Client) -> Report:
    _latencies(client)  # warm-up
    profile_from_here(server)
    idle = _latencies(client)
    owners = [client, analyst]
    runs = [
        (owner, str(submit(owner, SQL, wait_ms=0)["id"]))
        for owner in (owners[n % 2] for n in range(QUERIES))
    ]
    threads = min(os.cpu_count() or 1, QUERIES)  # the server's default embedded pool
    try:
        _wait_pool_busy(runs, threads)
        cpu_before, wall_before = cpu_seconds(server.pid, children=True), time.perf_counter()
        loaded = _latencies(client)
        used = cpu_seconds(server.pid, children=True) - cpu_before
        busy = used / (time.perf_counter() - wall_before)
        after = _statuses(runs)
    finally:
        cancelled = []
        for owner, run_id in runs:
            response = owner.post(f"/api/v1/runs/{run_id}/cancel")
            cancelled.append(response.json().get("status") if response.is_success else None)
    time.sleep(SETTLE_SECONDS / 2)
    cpu_start = cpu_seconds(server.pid, children=True)
    time.sleep(SETTLE_SECONDS)
    settled = (cpu_seconds(server.pid, children=True) - cpu_start) / SETTLE_SECONDS
    running, active = after.count("running"), sum(s in ACTIVE for s in after)
    report = Report(
        NAME,
        f"GET /health latency, idle vs while {QUERIES} long DuckDB queries run "
        f"({REQUESTS} requests, one per {ms(PACE_SECONDS)} at most)",
    )
    report.add("baseline", f"idle server: {_spread(idle)}")
    report.add("belvedere", f"under load: {_spread(loaded)}")
    ratio = percentile(loaded, 99) / percentile(idle, 99)
    report.add("ratio", f"p99 under load / p99 idle = {ratio:.1f}")
    report.add(
        "load",
        f"server CPU {busy:.0%} of one core; at the end {running} running, "
        f"{active - running} queued, {QUERIES - active} ended",
    )
    report.add(
        "cancel",
        f"{cancelled.count('cancelled')}/{QUERIES} runs cancelled; server CPU "
        f"{settled:.0%} of one core {SETTLE_SECONDS / 2:g} s later",
    )
    report.target(
        f"max under load < {ms(TARGET_SECONDS)}, load held throughout",
        max(loaded) < TARGET_SECONDS and running == threads and active == QUERIES,
    )
    return report


def _spread(values: list[float]) -> str:
    return f"median {ms(median(values))}, p99 {ms(percentile(values, 99))}, max {ms(max(values))}"
