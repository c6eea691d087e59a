"""``celery_overhead``: what a run through a Celery worker adds over the in-process path
(issue 11).

Same run, same store server: an in-process ``belvedere serve`` (no broker, local results) and a
platform (a web server and a worker, both queues, threads pool; Redis as broker and bus,
results in Redis), each on a database of its own. Measured as ``api_overhead`` measures a
client getting its rows: ``POST /api/v1/runs`` with ``wait_ms`` whose answer carries the rows,
over loopback on a kept-alive connection; ``RUNS`` of each after ``WARMUP``, the two servers
alternating so both see the same machine state. Queries: ``SELECT 1`` on the DuckDB demo, and a
4-row aggregate on the BigQuery emulator (a connection straight to it). Each answer's
``submitted_at``, ``started_at`` and ``finished_at`` split a run's time into queue (submitted to
started: sending the task, the worker taking it and reading the run), the run itself, and the
rest (results read, the waiter woken, HTTP). PostgreSQL is the target's store; SQLite (one
host) is shown too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from tests.support.bigquery.emulator import Emulator

from bench.bq import add_connection, create_table, emulator
from bench.cluster import PASSWORD, as_server, platform
from bench.support import Report, expect, median, ms, percentile, signed_in_client, submit

NAME = "celery_overhead"
WARMUP = 5
RUNS = 50
TARGET_ADDED_SECONDS = 0.010
STORES = ("postgresql", "sqlite")
"""The first carries the target."""
DATASET, TABLE = "bench", "orders"
SEED_SQL = f"""
CREATE TABLE {DATASET}.{TABLE} AS
SELECT id, CONCAT('region-', CAST(MOD(id, 4) AS STRING)) AS region, CAST(id AS INT64) AS amount
FROM UNNEST(GENERATE_ARRAY(1, 1000)) AS id
"""
BQ_SQL = (
    f"SELECT region, COUNT(*) AS orders, SUM(amount) AS total FROM {DATASET}.{TABLE} "
    "GROUP BY region ORDER BY region"
)
QUERIES: dict[str, tuple[str, str, Callable[[list[list[Any]]], bool]]] = {
    "duckdb": ("demo", "SELECT 1", lambda rows: rows == [[1]]),
    "bigquery": ("bq", BQ_SQL, lambda rows: len(rows) == 4 and sum(r[1] for r in rows) == 1000),
}


@dataclass
class Timings:
    """One query on one server: client time and the run's phases per run (seconds)."""

    client: list[float] = field(default_factory=list)
    queue: list[float] = field(default_factory=list)
    running: list[float] = field(default_factory=list)
    rest: list[float] = field(default_factory=list)


def _once(client: httpx.Client, query: str, timings: Timings | None) -> None:
    connection, sql, check = QUERIES[query]
    start = time.perf_counter()
    run = submit(client, sql, wait_ms=30_000, connection=connection)
    elapsed = time.perf_counter() - start
    expect(run["status"] == "succeeded", f"{query} run did not succeed: {run}")
    expect(check(run["result"]["rows"]), f"{query}: unexpected rows {run['result']['rows']}")
    if timings is not None:
        submitted, started, finished = (
            datetime.fromisoformat(run[k]) for k in ("submitted_at", "started_at", "finished_at")
        )
        timings.client.append(elapsed)
        timings.queue.append((started - submitted).total_seconds())
        timings.running.append((finished - started).total_seconds())
        timings.rest.append(elapsed - (finished - submitted).total_seconds())


def _seed(emu: Emulator) -> None:
    create_table(emu, DATASET, SEED_SQL)


def _measure(store: str, emu: Emulator) -> dict[tuple[str, str], Timings]:
    """Timings by (query, "in-process" | "celery") on one store."""
    with platform(f"{NAME}-{store}", store) as cluster:
        servers = {
            "in-process": as_server(cluster.in_process_web("in-process")),
            "celery": as_server(cluster.web("web")),
        }
        cluster.worker("worker")
        timings = {(q, s): Timings() for q in QUERIES for s in servers}
        with (
            signed_in_client(servers["in-process"], password=PASSWORD) as local,
            signed_in_client(servers["celery"], password=PASSWORD) as celery,
        ):
            clients = {"in-process": local, "celery": celery}
            for client in clients.values():
                add_connection(client, emu.rest_url, emu.grpc_target)
            for round_ in range(WARMUP + RUNS):
                for query in QUERIES:
                    for side, client in clients.items():
                        _once(client, query, timings[query, side] if round_ >= WARMUP else None)
    return timings


def run() -> Report:
    with emulator() as emu:
        _seed(emu)
        by_store = {store: _measure(store, emu) for store in STORES}
    report = Report(
        NAME,
        "a run through a web server + Celery worker (Redis) vs an in-process server, "
        f"POST /runs with rows in the answer, {RUNS} runs each after {WARMUP} warm-ups, "
        "alternating",
    )
    for store, timings in by_store.items():
        for query in QUERIES:
            local, celery = timings[query, "in-process"], timings[query, "celery"]
            added = median(celery.client) - median(local.client)
            report.add(f"{store} {query}", f"in-process median {_spread(local.client)}")
            report.add("", f"celery     median {_spread(celery.client)}")
            report.add("", f"added      median {ms(added)}")
            for side, t in (("in-process", local), ("celery", celery)):
                report.add(
                    "",
                    f"{side:<10} split (medians): queue {ms(median(t.queue))}, "
                    f"run {ms(median(t.running))}, rest (results, wake-up, HTTP) "
                    f"{ms(median(t.rest))}",
                )
            if store == STORES[0]:
                report.target(
                    f"{query} on {store}: added median < {ms(TARGET_ADDED_SECONDS)}",
                    added < TARGET_ADDED_SECONDS,
                )
    return report


def _spread(values: list[float]) -> str:
    return f"{ms(median(values))}, p90 {ms(percentile(values, 90))}"
