"""``api_overhead``: what HTTP and the execution service add to a trivial query.

Belvedere: ``POST /api/v1/runs`` with ``wait_ms``, whose answer carries the first rows of a run
that ended within the wait, over loopback to a real ``belvedere serve`` on a kept-alive
connection, i.e. what a client needs to get the rows. Also shown: the same followed by
``GET /api/v1/runs/{id}/results`` (how a client pages further). Baseline: the DuckDB driver in
this process on the same demo file opened read-only, a fresh cursor per query (as Belvedere
opens one per run).
"""

from __future__ import annotations

import time

import duckdb
import httpx

from bench.support import (
    Report,
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

NAME = "api_overhead"
SQL = "SELECT 1"
WARMUP = 5
RUNS = 50
TARGET_ADDED_SECONDS = 0.005


def _belvedere_once(client: httpx.Client) -> tuple[float, float]:
    """Seconds for the submission (rows included) and for a separate results page."""
    start = time.perf_counter()
    run = submit(client, SQL, wait_ms=5_000)
    submitted = time.perf_counter()
    expect(run["status"] == "succeeded", f"run did not succeed: {run}")
    expect(run["result"]["rows"] == [[1]], f"unexpected rows: {run['result']}")
    response = client.get(f"/api/v1/runs/{run['id']}/results")
    response.raise_for_status()
    rows = response.json()["rows"]
    done = time.perf_counter()
    expect(rows == [[1]], f"unexpected rows: {rows}")
    return submitted - start, done - submitted


def _duckdb_once(database: duckdb.DuckDBPyConnection) -> float:
    start = time.perf_counter()
    cursor = database.cursor()
    try:
        rows = cursor.sql(SQL).fetchall()
    finally:
        cursor.close()
    elapsed = time.perf_counter() - start
    expect(rows == [(1,)], f"unexpected rows: {rows}")
    return elapsed


def _health_once(client: httpx.Client) -> float:
    start = time.perf_counter()
    client.get("/health").raise_for_status()
    return time.perf_counter() - start


def run() -> Report:
    """Alternate Belvedere and DuckDB runs so both see the same machine state."""
    with serve(NAME) as server, signed_in_client(server) as client:
        database = duckdb.connect(str(server.demo_path), read_only=True)
        try:
            for _ in range(WARMUP):
                _belvedere_once(client)
                _duckdb_once(database)
                _health_once(client)
            profile_from_here(server)
            posts: list[float] = []
            pages: list[float] = []
            baseline: list[float] = []
            cpu_before = cpu_seconds(server.pid, children=True)
            for _ in range(RUNS):
                post, page = _belvedere_once(client)
                posts.append(post)
                pages.append(page)
                baseline.append(_duckdb_once(database))
            server_cpu = (cpu_seconds(server.pid, children=True) - cpu_before) / RUNS
            health = [_health_once(client) for _ in range(RUNS)]
        finally:
            database.close()
    totals = [p + g for p, g in zip(posts, pages, strict=True)]
    added = median(posts) - median(baseline)
    report = Report(
        NAME,
        f"{SQL!r} through HTTP + execution service vs the DuckDB driver in-process "
        f"({RUNS} runs after {WARMUP} warm-ups)",
    )
    report.add("baseline", f"DuckDB cursor.sql().fetchall(): median {_spread(baseline)}")
    report.add("belvedere", f"POST /runs, rows in the answer: median {_spread(posts)}")
    report.add("  + GET results", f"a second request for a page: median {_spread(pages)}")
    report.add("  both", f"median {_spread(totals)}")
    report.add("  server CPU", f"{ms(server_cpu)} per query (POST + GET), all threads")
    report.add("HTTP floor", f"GET /health on the same connection: median {_spread(health)}")
    report.add("ratio", f"{median(posts) / median(baseline):.0f}x the baseline median")
    report.add(
        "added",
        f"median {ms(added)}, p90 {ms(percentile(posts, 90) - percentile(baseline, 90))}",
    )
    report.target(f"added median < {ms(TARGET_ADDED_SECONDS)}", added < TARGET_ADDED_SECONDS)
    return report


def _spread(values: list[float]) -> str:
    return f"{ms(median(values))}, p90 {ms(percentile(values, 90))}"
