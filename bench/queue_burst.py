"""``queue_burst``: 1,000 runs queued at once drain through a Celery worker (issue 11).

A platform of one web server and one worker on the ``embedded`` queue (threads pool, one thread
per CPU), Redis as broker and bus, PostgreSQL as the metadata store, results in Redis. One
asyncio client sends every ``POST /api/v1/runs`` (``SELECT <n>`` on the demo, ``wait_ms: 0``)
at once, ``MAX_CONNECTIONS`` in flight; then the store is read until every run has ended. From
the store: each run's wait in the queue (``started_at - submitted_at``), the drain (first
``submitted_at`` to last ``finished_at``), which worker ran it; every run must end
``succeeded`` with one row, none lost (every POST accepted, every id in the store). Baseline:
the same burst, first, to an in-process server (no broker) on a database of its own.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from bench.cluster import PASSWORD, as_server, platform, store_rows
from bench.support import (
    CSRF_HEADER,
    DEMO,
    TERMINAL,
    Report,
    Server,
    expect,
    percentile,
    signed_in_client,
)

NAME = "queue_burst"
RUNS = 1_000
DRAIN_DEADLINE_SECONDS = 600.0
POLL_SECONDS = 0.5
CLIENT_TIMEOUT_SECONDS = 120.0
MAX_CONNECTIONS = 100


@dataclass
class Sent:
    """The burst as the client saw it."""

    ids: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    """Seconds each accepted POST took."""
    answered: list[float] = field(default_factory=list)
    """When each accepted POST was answered, seconds after the first was sent."""
    seconds: float = 0.0


async def _post_all(url: str, auth: dict[str, Any]) -> Sent:
    sent = Sent()
    limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=url, timeout=CLIENT_TIMEOUT_SECONDS, limits=limits, **auth
    ) as client:
        # At most one request per connection in flight: httpx's pool slows down with
        # hundreds of requests waiting in it (the client, not the server, would be measured).
        slots = asyncio.Semaphore(MAX_CONNECTIONS)
        start = time.perf_counter()

        async def one(n: int) -> None:
            body = {"connection": DEMO, "sql": f"SELECT {n}", "wait_ms": 0}
            await slots.acquire()
            began = time.perf_counter()
            try:
                response = await client.post("/api/v1/runs", json=body)
            except httpx.HTTPError as exc:
                sent.refused.append(f"{exc!r} after {time.perf_counter() - began:.2f} s")
                return
            finally:
                slots.release()
            if response.status_code not in (200, 202):
                sent.refused.append(f"{response.status_code}: {response.text[:200]}")
                return
            now = time.perf_counter()
            sent.ids.append(response.json()["id"])
            sent.latencies.append(now - began)
            sent.answered.append(now - start)

        await asyncio.gather(*(one(n) for n in range(RUNS)))
        sent.seconds = time.perf_counter() - start
    return sent


def _runs(database_url: str) -> list[tuple[Any, ...]]:
    """Every run in the store: id, status, rows, submitted, started, finished, worker."""
    return store_rows(
        database_url,
        "SELECT id, status, row_count, submitted_at, started_at, finished_at, worker "
        "FROM query_runs",
    )


@dataclass
class Drained:
    """One burst on one server, as the client and the store saw it."""

    sent: Sent
    rows: list[tuple[Any, ...]]
    observed: float
    """Seconds from the first POST until the store showed every accepted run ended."""


def _burst(server: Server, database_url: str) -> Drained:
    with signed_in_client(server, password=PASSWORD) as client:
        for n in range(3):  # warm-up: connections, DuckDB, the results store
            response = client.post(
                "/api/v1/runs",
                json={"connection": DEMO, "sql": f"SELECT {n}", "wait_ms": 30_000},
            )
            expect(response.json()["status"] == "succeeded", f"warm-up: {response.text}")
        auth = {
            "cookies": dict(client.cookies),
            "headers": {CSRF_HEADER: client.headers[CSRF_HEADER]},
        }
    warm = {row[0] for row in _runs(database_url)}
    began = time.perf_counter()
    sent = asyncio.run(_post_all(server.url, auth))
    deadline = time.monotonic() + DRAIN_DEADLINE_SECONDS
    while True:
        rows = [r for r in _runs(database_url) if r[0] not in warm]
        ended = [r for r in rows if r[1] in TERMINAL]
        if len(ended) >= len(sent.ids) or time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    return Drained(sent, rows, time.perf_counter() - began)


def run() -> Report:
    with platform(NAME) as cluster:
        local = cluster.in_process_web("in-process")
        web = cluster.web("web")
        worker = cluster.worker("worker", "--queues", "embedded")
        baseline = _burst(as_server(local), cluster.standalone[local.name])
        celery = _burst(as_server(web), cluster.database_url)
        worker_alive = worker.alive()
    report = Report(
        NAME,
        f"{RUNS} DuckDB runs (SELECT <n>, wait_ms 0) posted at once ({MAX_CONNECTIONS} "
        "connections) to a web server, drained by one Celery worker (queue embedded, one "
        "thread per CPU) on Redis; baseline: the same to an in-process server; PostgreSQL store",
    )
    _describe(report, "in-process", baseline)
    _describe(report, "celery", celery)
    report.add("  worker alive at the end", "yes" if worker_alive else "NO")
    ids, rows = celery.sent.ids, celery.rows
    recorded = {r[0] for r in rows}
    report.target(
        f"no run lost: all {RUNS} accepted and recorded",
        not celery.sent.refused and len(ids) == RUNS and recorded >= set(ids),
    )
    succeeded = [r for r in rows if r[1] == "succeeded" and r[2] == 1]
    report.target("every run ended succeeded with its row", len(succeeded) == RUNS == len(rows))
    report.target("every run ran on the worker", all(r[6] and str(r[6]) != "None" for r in rows))
    return report


def _describe(report: Report, label: str, drained: Drained) -> None:
    sent, rows = drained.sent, drained.rows
    recorded = {r[0] for r in rows}
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r[1]] = statuses.get(r[1], 0) + 1
    waits = [_seconds(r[4], r[3]) for r in rows if r[4] is not None]
    runs = [_seconds(r[5], r[4]) for r in rows if r[4] is not None and r[5] is not None]
    finished = [r[5] for r in rows if r[5] is not None]
    drain = _seconds(max(finished), min(r[3] for r in rows)) if finished else float("nan")
    report.add(
        label,
        f"{len(sent.ids)} accepted, {len(sent.refused)} refused; all sent in "
        f"{sent.seconds:.2f} s; each POST p50 {_s(sent.latencies, 50)}, "
        f"p99 {_s(sent.latencies, 99)}; half answered by {_s(sent.answered, 50)}",
    )
    for detail in sent.refused[:3]:
        report.add("  refused", detail)
    report.add(
        "  store",
        f"{len(rows)} runs recorded, by status {statuses}; "
        f"{len([i for i in sent.ids if i not in recorded])} accepted ids missing",
    )
    report.add(
        "  queue wait",
        f"started_at - submitted_at: p50 {_s(waits, 50)}, p90 {_s(waits, 90)}, "
        f"p99 {_s(waits, 99)}, max {_s(waits, 100)}",
    )
    report.add("  run time", f"finished_at - started_at: p50 {_s(runs, 50)}, p99 {_s(runs, 99)}")
    report.add(
        "  drain",
        f"first submitted_at to last finished_at {drain:.2f} s ({len(rows) / drain:.0f} runs/s); "
        f"every run seen ended in the store {drained.observed:.2f} s after the first POST",
    )


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def _s(values: list[float], pct: float) -> str:
    return f"{percentile(values, pct):.3f} s" if values else "n/a"
