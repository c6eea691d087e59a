"""``bq_overhead``: what Belvedere adds to a BigQuery query over the raw SDK in-process (issue 12).

On the BigQuery emulator (its own process): ``bench.orders``, ``ROWS`` rows of ``id, region,
amount`` (made with one ``CREATE TABLE ... AS SELECT``), and the tests' ``shop.big`` (1,000,000
rows, as ``bq_table_export`` seeds it). Belvedere has a connection straight to the emulator.
Baseline, in this process and in the same run: the SDK's fastest common path,
``client.query_and_wait(sql).to_arrow(create_bqstorage_client=False)``: one ``jobs.query`` call
whose answer carries the first page, then ``jobs.getQueryResults`` pages (the emulator pages a
20,000-row result). Not the Storage Read API: the emulator cannot read a query's anonymous
destination table over it, and for results that fit a REST page Belvedere does not use it
either. Every case alternates Belvedere and the baseline.

Cases, the same SQL on both sides (the chart's own SQL, from ``POST /api/v1/charts/sql``):

- ``aggregate``: the 4-row chart (GROUP BY region, COUNT + SUM over ``ROWS`` rows) through
  ``POST /api/v1/charts/explore`` (``force: true``, so it runs each time) and through
  ``POST /api/v1/runs`` with ``wait_ms`` (the rows come back in the answer); ``AGG_RUNS`` each
  after ``WARMUP``. Target: median added < ``TARGET_ADDED_SECONDS``.
- ``raw``: all ``ROWS`` rows (``SELECT id, region, amount``) as a client takes a whole result:
  ``POST /api/v1/runs`` (``wait_ms``, no page in the answer), then the CSV download (``GET
  /api/v1/runs/{id}/export?format=csv``: what the UI's "Download" and an API client that wants
  every row do; the grid shows one page at a time and never fetches them all); ``RAW_RUNS``.
  Also shown, no target: the same rows paged as a grid would page them, ``GET .../results``
  ``MAX_PAGE`` at a time. Target: Belvedere / SDK (medians) < ``TARGET_RAW_RATIO``.
- ``export``: ``shop.big`` to CSV over the Storage Read API, ``bq_table_export``'s two sides
  (its ``_sdk_export`` and ``_run_export`` + download); ``EXPORT_ROUNDS``. Target: SDK time /
  Belvedere time >= ``TARGET_EXPORT_RATIO``.

``GET /health`` alternates with the aggregate runs as the floor of HTTP alone, and each
``POST /runs``'s ``submitted_at``, ``started_at`` and ``finished_at`` split it into queue, run
and the rest (as ``celery_overhead`` does). ``BENCH_BQ_OVERHEAD_CASES=aggregate,raw,export``
picks cases (all by default). Modes (``BENCH_BQ_OVERHEAD=in-process,celery`` picks; both by
default): ``in-process`` is a ``belvedere serve`` that runs its queries itself (profiled under
``BENCH_PROFILE``); ``celery`` is a platform (``bench/cluster.py``: PostgreSQL, Redis, a web
server and a worker on both queues, results in Redis), each against its own same-run SDK
baseline; through Celery, Celery's own floor alternates too (``bench/celery_floor.py``: a
no-op task's round trip on the same Redis), what no run through Celery can cost less than.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from tests.support.bigquery.emulator import Emulator, seed
from tests.support.bigquery.seed import BIG_ROWS, EVENTS_ROWS

from bench.bq import CONNECTION, add_connection, create_table, emulator
from bench.bq_table_export import WARMUP_TABLE, _run_export, _sdk_export
from bench.celery_floor import noop_worker
from bench.cluster import PASSWORD as CLUSTER_PASSWORD
from bench.cluster import as_server, platform
from bench.support import (
    PASSWORD,
    Report,
    Server,
    download_csv,
    expect,
    median,
    ms,
    percentile,
    profile_from_here,
    serve,
    signed_in_client,
    submit,
)

NAME = "bq_overhead"
MODES_ENV = "BENCH_BQ_OVERHEAD"
MODES = ("in-process", "celery")
CASES_ENV = "BENCH_BQ_OVERHEAD_CASES"
CASES = ("aggregate", "raw", "export")
DATASET, TABLE = "bench", "orders"
ROWS = 20_000
WARMUP = 5
AGG_RUNS = 40
RAW_RUNS = 10
EXPORT_ROUNDS = 3
MAX_PAGE = 1000
TARGET_ADDED_SECONDS = 0.005
TARGET_RAW_RATIO = 1.2
TARGET_EXPORT_RATIO = 0.9
CLIENT_TIMEOUT_SECONDS = 300.0
SEED_SQL = f"""
CREATE TABLE {DATASET}.{TABLE} AS
SELECT id, CASE MOD(id, 4) WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'east'
  ELSE 'west' END AS region, CAST(MOD(id * 37, 1000) AS INT64) AS amount
FROM UNNEST(GENERATE_ARRAY(1, {ROWS})) AS id
"""
SOURCE = {"kind": "table", "schema": DATASET, "table": TABLE}
CHART = {
    "source": SOURCE,
    "type": "bar",
    "dimensions": ["region"],
    "metrics": [{"agg": "count"}, {"agg": "sum", "column": "amount"}],
}
HEALTH = "GET /health"
CELERY_FLOOR = "Celery's own floor (a no-op task's round trip, bench/celery_floor.py)"
#: The platform Redis's database for that no-op task (Belvedere uses the first few).
FLOOR_REDIS_DB = 15
"""The floor of HTTP alone on the same connection (no target)."""
RAW_SQL = f"SELECT id, region, amount FROM {DATASET}.{TABLE}"


@dataclass
class Sides:
    """Seconds per run of one case: the SDK and each Belvedere path."""

    sdk: list[float] = field(default_factory=list)
    paths: dict[str, list[float]] = field(default_factory=dict)
    split: dict[str, list[float]] = field(default_factory=dict)
    """``POST /runs``'s time split by the run's own times: queue, run, rest."""

    def add(self, path: str, seconds: float) -> None:
        self.paths.setdefault(path, []).append(seconds)


@dataclass
class Measured:
    mode: str
    aggregate: Sides
    raw: Sides
    export: Sides


# -- the SDK -------------------------------------------------------------------------------
class Sdk:
    """The raw SDK in this process: a REST client of the emulator."""

    def __init__(self, emu: Emulator) -> None:
        self.client = emu.client()

    def rows(self, sql: str) -> int:
        table = self.client.query_and_wait(sql).to_arrow(create_bqstorage_client=False)
        return int(table.num_rows)

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# -- Belvedere -----------------------------------------------------------------------------
def explore(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/charts/explore", json={"connection": CONNECTION, "spec": CHART, "force": True}
    )
    expect(response.status_code == 200, f"explore failed: {response.text[:300]}")
    data = response.json()
    expect(not data["cached"] and data["row_count"] == 4, f"explore answered {data}")


def run_rows(client: httpx.Client, sql: str, rows: int, split: Sides | None = None) -> None:
    start = time.perf_counter()
    run = submit(client, sql, connection=CONNECTION, page_size=MAX_PAGE)
    elapsed = time.perf_counter() - start
    expect(run["status"] == "succeeded", f"run did not succeed: {run}")
    expect(len(run["result"]["rows"]) == rows, f"expected {rows} rows in the answer: {run}")
    if split is not None:
        submitted, started, finished = (
            datetime.fromisoformat(run[k]) for k in ("submitted_at", "started_at", "finished_at")
        )
        split.split.setdefault("queue", []).append((started - submitted).total_seconds())
        split.split.setdefault("run", []).append((finished - started).total_seconds())
        rest = elapsed - (finished - submitted).total_seconds()
        split.split.setdefault("rest (submit, results, wake-up, HTTP)", []).append(rest)


def raw_csv(client: httpx.Client, out: Path) -> None:
    run = submit(client, RAW_SQL, connection=CONNECTION, page_size=0)
    expect(run["status"] == "succeeded" and run["row_count"] == ROWS, f"raw run: {run}")
    download_csv(client, run["id"], out)


def raw_pages(client: httpx.Client) -> None:
    run = submit(client, RAW_SQL, connection=CONNECTION, page_size=MAX_PAGE)
    expect(run["status"] == "succeeded", f"raw run: {run}")
    got = len(run["result"]["rows"])
    while got < ROWS:
        response = client.get(
            f"/api/v1/runs/{run['id']}/results", params={"offset": got, "limit": MAX_PAGE}
        )
        response.raise_for_status()
        got += len(response.json()["rows"])
    expect(got == ROWS, f"paged {got} rows, not {ROWS}")


def chart_sql(client: httpx.Client) -> str:
    """The SQL the chart runs: both sides run exactly it."""
    response = client.post("/api/v1/charts/sql", json={"connection": CONNECTION, "spec": CHART})
    expect(response.status_code == 200, f"chart SQL refused: {response.text[:300]}")
    sql: str = response.json()["sql"]
    return sql


# -- one mode ------------------------------------------------------------------------------
def _measure(
    mode: str,
    server: Server,
    password: str,
    emu: Emulator,
    tmp: Path,
    celery_floor: Callable[[], None] | None,
) -> Measured:
    sdk = Sdk(emu)
    ours, theirs = tmp / f"{mode}-belvedere.csv", tmp / f"{mode}-sdk.csv"
    aggregate, raw, export = Sides(), Sides(), Sides()
    try:
        with signed_in_client(server, CLIENT_TIMEOUT_SECONDS, password=password) as client:
            add_connection(client, emu.rest_url, emu.grpc_target)
            sql = chart_sql(client)
            for _ in range(WARMUP):
                sdk.rows(sql)
                explore(client)
                run_rows(client, sql, 4)
                sdk.rows(RAW_SQL)
                raw_csv(client, ours)
            cases = _chosen(CASES_ENV, CASES)
            if "export" in cases:
                _sdk_export(emu, WARMUP_TABLE, theirs)
                download_csv(client, _run_export(client, WARMUP_TABLE, EVENTS_ROWS), ours)
            if mode == "in-process":
                profile_from_here(server)
            for _ in range(AGG_RUNS if "aggregate" in cases else 0):
                aggregate.add(HEALTH, timed(lambda: client.get("/health").raise_for_status()))
                if celery_floor is not None:
                    aggregate.add(CELERY_FLOOR, timed(celery_floor))
                aggregate.sdk.append(timed(lambda: expect(sdk.rows(sql) == 4, "SDK rows")))
                aggregate.add("POST /charts/explore", timed(lambda: explore(client)))
                aggregate.sdk.append(timed(lambda: expect(sdk.rows(sql) == 4, "SDK rows")))
                aggregate.add("POST /runs", timed(lambda: run_rows(client, sql, 4, aggregate)))
            for _ in range(RAW_RUNS if "raw" in cases else 0):
                raw.sdk.append(timed(lambda: expect(sdk.rows(RAW_SQL) == ROWS, "SDK rows")))
                raw.add("POST /runs + GET /export?format=csv", timed(lambda: raw_csv(client, ours)))
                raw.sdk.append(timed(lambda: expect(sdk.rows(RAW_SQL) == ROWS, "SDK rows")))
                raw.add(f"POST /runs + GET /results x{MAX_PAGE}", timed(lambda: raw_pages(client)))
            for _ in range(EXPORT_ROUNDS if "export" in cases else 0):
                read, write, count = _sdk_export(emu, "big", theirs)
                expect(count == BIG_ROWS, f"the SDK read {count:,} rows")
                export.sdk.append(read + write)
                start = time.perf_counter()
                download_csv(client, _run_export(client, "big", BIG_ROWS), ours)
                export.add("POST /runs table export + GET /export", time.perf_counter() - start)
    finally:
        sdk.close()
    return Measured(mode, aggregate, raw, export)


@contextmanager
def _servers(mode: str, tmp: Path) -> Iterator[tuple[Server, str, Callable[[], None] | None]]:
    """The mode's server, its admin's password, and (through Celery) Celery's own floor."""
    if mode == "in-process":
        with serve(f"{NAME}-{mode}") as server:
            yield server, PASSWORD, None
        return
    with platform(f"{NAME}-celery", "postgresql") as cluster:
        web = as_server(cluster.web("web"))
        cluster.worker("worker")
        floor_redis = cluster.redis.url(FLOOR_REDIS_DB)
        with noop_worker(floor_redis, tmp / "celery-floor.log") as floor:
            yield web, CLUSTER_PASSWORD, floor


def _chosen(env: str, choices: tuple[str, ...]) -> list[str]:
    """The choices named in the environment variable ``env`` (comma-separated), else all."""
    picked = [c.strip() for c in os.environ.get(env, ",".join(choices)).split(",") if c.strip()]
    expect(all(c in choices for c in picked), f"{env}: choose from {', '.join(choices)}")
    return picked


def _seed(emu: Emulator) -> None:
    if "export" in _chosen(CASES_ENV, CASES):
        seed(emu)  # the tests' data: shop.big and shop.events
    create_table(emu, DATASET, SEED_SQL)


def run() -> Report:
    modes = _chosen(MODES_ENV, MODES)
    measured = []
    with tempfile.TemporaryDirectory(prefix="belvedere-bench-bqo-") as tmp, emulator() as emu:
        _seed(emu)
        for mode in modes:
            with _servers(mode, Path(tmp)) as (server, password, floor):
                measured.append(_measure(mode, server, password, emu, Path(tmp), floor))
    return _report(measured)


# -- report --------------------------------------------------------------------------------
def _spread(values: list[float]) -> str:
    return f"median {ms(median(values))}, p90 {ms(percentile(values, 90))}"


def _report(measured: list[Measured]) -> Report:
    report = Report(
        NAME,
        "BigQuery queries through Belvedere vs the raw SDK in-process "
        "(query_and_wait().to_arrow()), same SQL, same run, alternating",
    )
    for m in measured:
        if m.aggregate.sdk:
            _aggregate(report, m)
        if m.raw.sdk:
            _raw(report, m)
        if m.export.sdk:
            _export(report, m)
    return report


def _aggregate(report: Report, m: Measured) -> None:
    agg = median(m.aggregate.sdk)
    report.add(f"{m.mode}: aggregate", f"SDK {_spread(m.aggregate.sdk)} ({AGG_RUNS * 2} runs)")
    health = m.aggregate.paths.pop(HEALTH, [])
    report.add("", f"{HEALTH} (the HTTP floor): {_spread(health)}")
    if celery := m.aggregate.paths.pop(CELERY_FLOOR, []):
        floors = median(health) + median(celery)
        report.add("", f"{CELERY_FLOOR}: {_spread(celery)}")
        report.add("", f"HTTP floor + Celery floor: {ms(floors)}, before Belvedere does anything")
    for path, values in m.aggregate.paths.items():
        added = median(values) - agg
        report.add("", f"{path}: {_spread(values)}, added {ms(added)}")
        report.target(
            f"{m.mode} 4-row aggregate, {path}: median added < {ms(TARGET_ADDED_SECONDS)}",
            added < TARGET_ADDED_SECONDS,
        )
    if m.aggregate.split:
        parts = ", ".join(f"{k} {ms(median(v))}" for k, v in m.aggregate.split.items())
        report.add("", f"POST /runs split (medians): {parts}")


def _raw(report: Report, m: Measured) -> None:
    raw = median(m.raw.sdk)
    report.add(f"{m.mode}: {ROWS:,} raw rows", f"SDK {_spread(m.raw.sdk)}")
    for i, (path, values) in enumerate(m.raw.paths.items()):
        ratio = median(values) / raw
        report.add("", f"{path}: {_spread(values)}, {ratio:.2f}x the SDK")
        if i == 0:
            report.target(
                f"{m.mode} {ROWS:,} rows ({path}) < {TARGET_RAW_RATIO}x the SDK",
                ratio < TARGET_RAW_RATIO,
            )


def _export(report: Report, m: Measured) -> None:
    sdk_export = median(m.export.sdk)
    report.add(f"{m.mode}: {BIG_ROWS:,}-row export", f"SDK {_rounds(m.export.sdk)}")
    for path, values in m.export.paths.items():
        ratio = sdk_export / median(values)
        report.add("", f"{path}: {_rounds(values)}; SDK / Belvedere = {ratio:.2f}")
        report.target(
            f"{m.mode} 1M-row export: SDK / Belvedere >= {TARGET_EXPORT_RATIO}",
            ratio >= TARGET_EXPORT_RATIO,
        )


def _rounds(seconds: list[float]) -> str:
    return "median " + f"{median(seconds):.2f} s (" + ", ".join(f"{s:.2f}" for s in seconds) + ")"
