"""``dashboard_load``: a 12-chart BigQuery dashboard whose every query is answered 1 s late.

The BigQuery emulator (its own process) holds one table, ``bench.sales`` (``ROWS`` rows of
``sold_on DATE, category, region, channel STRING, amount FLOAT64, quantity, customer_id INT64``,
made with one ``CREATE TABLE ... AS SELECT``). A real ``belvedere serve`` has two connections to
it: ``direct`` and ``slow``, the latter through a recording proxy of the tests' own
(``tests/support/faults/``) that holds each query's ``jobs.query`` (not a dry run)
``DELAY_SECONDS`` before forwarding it: an imitation of BigQuery's latency. Only the REST API
goes through the proxy; both connections reach the Storage Read API straight.

Each connection gets the same ``CHARTS`` (bar, line, area, pie, big number, heatmap, table:
different dimensions, metrics, grains and filters, so twelve different queries), created with
``POST /api/v1/charts``, and a dashboard showing them (``POST`` then ``PATCH
/api/v1/dashboards``). Loading a dashboard is what the browser does: ``GET
/api/v1/dashboards/{id}``, then every tile's ``POST .../charts/{chart_id}/data`` at once, each
its own request (one asyncio ``httpx`` client, a kept-alive connection per tile).

Per round (``ROUNDS``):

- ``T0``: on ``direct``, each chart alone, one after another, ``force: true``: the sum is the
  warehouse's own time for the twelve queries without the delay (the emulator runs one query at
  a time, so twelve at once cannot take less).
- ``S``: on ``slow``, each chart alone, ``force: true``; the slowest.
- ``T``: a cold load of the ``slow`` dashboard, ``force: true`` on every tile (nothing cached),
  from the ``GET`` to the last tile's answer.

A server that runs the tiles' queries concurrently overlaps the delays: ``T`` close to ``S`` plus
the emulator's serial time; one that runs them in turns approaches ``12 x S``. Target: the
median ``T`` < ``TARGET_RATIO`` x (median ``S`` + median ``T0``). The proxy's recording checks
that each cold load sent its twelve query jobs, and when the last one arrived.

Then ``WARM_LOADS`` warm loads of the ``slow`` dashboard (``force: false``, everything cached
by the last cold load): each answer must say ``cached: true``, and the proxy must see no query
job. Their wall time from this client (``GET`` plus the twelve concurrent requests) stands for
the server's time: over loopback the network adds well under a millisecond, so this is an upper
bound of it (the client's own work included). The answers' ``elapsed_ms`` (the chart service's
own time, without HTTP, sign-in check and routing) is printed beside it. Target: median < 100 ms.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from tests.support.bigquery.emulator import Emulator
from tests.support.faults import HttpProxy, RecordedRequest

from belvedere.dashboards.layout import GRID_COLUMNS
from bench.bq import CpuMeter, add_connection, create_table, emulator, emulator_pid
from bench.support import (
    CSRF_HEADER,
    Report,
    Server,
    expect,
    median,
    ms,
    percentile,
    profile_from_here,
    serve,
    signed_in_client,
)

NAME = "dashboard_load"
DATASET = "bench"
TABLE = "sales"
ROWS = 200_000
DIRECT = "direct"
SLOW = "slow"
DELAY_SECONDS = 1.0
ROUNDS = 3
WARM_LOADS = 10
CACHE_TTL_SECONDS = 3600
TARGET_RATIO = 1.3
TARGET_WARM_SECONDS = 0.100
CLIENT_TIMEOUT_SECONDS = 120.0
TILE_WIDTH = 4
TILE_HEIGHT = 4

# Computed ARRAY offsets are off by one in the emulator (tests/support/bigquery/seed.py):
# CASE instead.
SEED_SQL = f"""
CREATE TABLE {DATASET}.{TABLE} AS
SELECT
  DATE_ADD(DATE '2023-01-01', INTERVAL MOD(n * 7, 730) DAY) AS sold_on,
  CASE MOD(n, 5) WHEN 0 THEN 'books' WHEN 1 THEN 'games' WHEN 2 THEN 'garden'
    WHEN 3 THEN 'kitchen' ELSE 'toys' END AS category,
  CASE MOD(DIV(n, 7), 4) WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'east'
    ELSE 'west' END AS region,
  CASE MOD(DIV(n, 3), 3) WHEN 0 THEN 'web' WHEN 1 THEN 'store' ELSE 'phone' END AS channel,
  CAST(MOD(n * 37, 10000) AS FLOAT64) / 100 AS amount,
  MOD(n, 9) + 1 AS quantity,
  MOD(n * 13, 5000) AS customer_id
FROM UNNEST(GENERATE_ARRAY(1, {ROWS})) AS n
"""

_AMOUNT = {"agg": "sum", "column": "amount"}
_UNITS = {"agg": "sum", "column": "quantity"}
_COUNT = {"agg": "count"}
CHARTS: list[tuple[str, dict[str, Any]]] = [
    ("revenue by category", {"type": "bar", "dimensions": ["category"], "metrics": [_AMOUNT]}),
    (
        "average sale by region",
        {"type": "bar", "dimensions": ["region"], "metrics": [{"agg": "avg", "column": "amount"}]},
    ),
    (
        "revenue by month",
        {"type": "line", "time": {"column": "sold_on", "grain": "month"}, "metrics": [_AMOUNT]},
    ),
    (
        "sales by quarter and region",
        {
            "type": "line",
            "time": {"column": "sold_on", "grain": "quarter"},
            "dimensions": ["region"],
            "metrics": [_COUNT],
        },
    ),
    (
        "sales by channel",
        {"type": "pie", "dimensions": ["channel"], "metrics": [_COUNT], "options": {"donut": True}},
    ),
    ("units sold", {"type": "big_number", "metrics": [_UNITS]}),
    (
        "customers",
        {"type": "big_number", "metrics": [{"agg": "count_distinct", "column": "customer_id"}]},
    ),
    (
        "revenue by category and region",
        {"type": "heatmap", "dimensions": ["category", "region"], "metrics": [_AMOUNT]},
    ),
    (
        "category and channel",
        {
            "type": "table",
            "dimensions": ["category", "channel"],
            "metrics": [
                _AMOUNT,
                {"agg": "min", "column": "amount"},
                {"agg": "max", "column": "amount"},
            ],
            "sort": [{"by": "sum_amount", "desc": True}],
        },
    ),
    (
        "units by year and category",
        {
            "type": "area",
            "time": {"column": "sold_on", "grain": "year"},
            "dimensions": ["category"],
            "metrics": [_UNITS],
            "options": {"stacked": True},
        },
    ),
    (
        "daily book revenue, north and east",
        {
            "type": "line",
            "time": {"column": "sold_on", "grain": "day"},
            "metrics": [_AMOUNT],
            "filters": [
                {"column": "category", "op": "eq", "value": "books"},
                {"column": "region", "op": "in", "value": ["north", "east"]},
            ],
        },
    ),
    (
        "best customers",
        {
            "type": "table",
            "dimensions": ["customer_id"],
            "metrics": [{"agg": "max", "column": "amount", "label": "biggest"}],
            "sort": [{"by": "biggest", "desc": True}],
            "limit": 50,
        },
    ),
]


def query_job(request: RecordedRequest) -> bool:
    """A query's start (as ``tests/bigquery/test_faults.py`` picks it): ``jobs.query``, or a
    ``jobs.insert`` that is not a dry run."""
    if request.kind == "jobs.query":
        return True
    if request.kind != "jobs.insert" or not isinstance(request.body, dict):
        return False
    return not request.body.get("configuration", {}).get("dryRun")


# -- setup ---------------------------------------------------------------------------------
def _seed(emu: Emulator) -> float:
    """Create ``bench.sales``; seconds it took."""
    start = time.perf_counter()
    create_table(emu, DATASET, SEED_SQL, TABLE, ROWS)
    return time.perf_counter() - start


def _dashboard(client: httpx.Client, connection: str) -> tuple[int, list[int]]:
    """The charts on ``connection`` and a dashboard showing them: its id and the chart ids."""
    chart_ids = []
    for name, spec in CHARTS:
        body = {
            "name": f"{name} ({connection})",
            "connection": connection,
            "spec": {"source": {"kind": "table", "schema": DATASET, "table": TABLE}, **spec},
            "cache_ttl_seconds": CACHE_TTL_SECONDS,
        }
        response = client.post("/api/v1/charts", json=body)
        expect(response.status_code == 201, f"chart {name!r} refused: {response.text}")
        chart_ids.append(response.json()["id"])
    response = client.post("/api/v1/dashboards", json={"title": f"bench {connection}"})
    expect(response.status_code == 201, f"dashboard refused: {response.text}")
    dashboard_id: int = response.json()["id"]
    per_row = GRID_COLUMNS // TILE_WIDTH
    tiles = [
        {
            "id": f"t{i + 1}",
            "kind": "chart",
            "chart_id": chart_id,
            "x": (i % per_row) * TILE_WIDTH,
            "y": (i // per_row) * TILE_HEIGHT,
            "w": TILE_WIDTH,
            "h": TILE_HEIGHT,
        }
        for i, chart_id in enumerate(chart_ids)
    ]
    response = client.patch(f"/api/v1/dashboards/{dashboard_id}", json={"layout": {"tiles": tiles}})
    expect(response.status_code == 200, f"dashboard layout refused: {response.text}")
    return dashboard_id, chart_ids


# -- loading -------------------------------------------------------------------------------
@dataclass
class TileAnswer:
    """One tile's data request as the client saw it."""

    chart: int
    """Index in ``CHARTS``."""
    seconds: float
    status: int
    cached: bool | None = None
    server_ms: int | None = None
    """The answer's ``elapsed_ms``: the chart service's own time on the server."""
    rows: int | None = None
    sql: str | None = None
    detail: str = ""


@dataclass
class Load:
    """A whole dashboard load: the ``GET``, then every tile at once."""

    seconds: float
    get_seconds: float
    tiles: list[TileAnswer]
    inserts: list[float] = field(default_factory=list)
    """Seconds after the ``GET`` was sent when each query job reached the proxy."""
    meter: CpuMeter | None = None

    @property
    def failed(self) -> list[TileAnswer]:
        return [t for t in self.tiles if t.status != 200]


async def _tile(
    client: httpx.AsyncClient, dashboard_id: int, index: int, chart_id: int, force: bool
) -> TileAnswer:
    start = time.perf_counter()
    response = await client.post(
        f"/api/v1/dashboards/{dashboard_id}/charts/{chart_id}/data",
        json={"filters": [], "force": force},
    )
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        return TileAnswer(index, seconds, response.status_code, detail=response.text[:300])
    data = response.json()
    return TileAnswer(
        index,
        seconds,
        200,
        cached=data["cached"],
        server_ms=data["elapsed_ms"],
        rows=data["row_count"],
        sql=data["sql"],
    )


async def _load(
    client: httpx.AsyncClient, dashboard_id: int, chart_ids: list[int], force: bool
) -> Load:
    """Load a dashboard as the browser does."""
    start = time.perf_counter()
    response = await client.get(f"/api/v1/dashboards/{dashboard_id}")
    got = time.perf_counter() - start
    expect(response.status_code == 200, f"GET dashboard {dashboard_id}: {response.text[:300]}")
    shown = [t["chart_id"] for t in response.json()["layout"]["tiles"]]
    expect(shown == chart_ids, f"dashboard {dashboard_id} shows {shown}, not {chart_ids}")
    tiles = await asyncio.gather(
        *(_tile(client, dashboard_id, i, c, force) for i, c in enumerate(shown))
    )
    return Load(time.perf_counter() - start, got, list(tiles))


async def _one_by_one(
    client: httpx.AsyncClient, dashboard_id: int, chart_ids: list[int]
) -> list[TileAnswer]:
    """Each chart of a dashboard alone, one after another, ``force: true``."""
    answers = [await _tile(client, dashboard_id, i, c, True) for i, c in enumerate(chart_ids)]
    for answer in answers:
        expect(answer.status == 200, f"chart {answer.chart + 1} failed: {answer.detail}")
        expect(answer.cached is False, f"chart {answer.chart + 1} answered from the cache")
    return answers


@dataclass
class Round:
    t0: list[TileAnswer]
    s: list[TileAnswer]
    t: Load

    @property
    def t0_seconds(self) -> float:
        return sum(a.seconds for a in self.t0)

    @property
    def s_seconds(self) -> float:
        return max(a.seconds for a in self.s)


@dataclass
class Measured:
    seed_seconds: float
    rounds: list[Round]
    warm: list[Load]
    warm_inserts: int


async def _measure(
    server: Server,
    auth: dict[str, Any],
    proxy: HttpProxy,
    direct: tuple[int, list[int]],
    slow: tuple[int, list[int]],
    emulator_process: int,
) -> tuple[list[Round], list[Load], int]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=server.url, timeout=CLIENT_TIMEOUT_SECONDS, limits=limits, **auth
    ) as client:
        # Warm-up, no delay yet: every tile once on each dashboard (the server's clients and
        # pools, the emulator's caches), then each alone.
        for dashboard_id, chart_ids in (direct, slow):
            warm = await _load(client, dashboard_id, chart_ids, force=False)
            expect(not warm.failed, f"warm-up tiles failed: {[t.detail for t in warm.failed]}")
            await _one_by_one(client, dashboard_id, chart_ids)
        profile_from_here(server)
        proxy.delay(DELAY_SECONDS, when=query_job)
        rounds = []
        pids = {"server": server.pid, "emulator": emulator_process, "bench": os.getpid()}
        for _ in range(ROUNDS):
            t0 = await _one_by_one(client, *direct)
            proxy.clear()
            s = await _one_by_one(client, *slow)
            jobs = [r for r in proxy.requests if query_job(r)]
            expect(len(jobs) == len(CHARTS), f"S sent {len(jobs)} query jobs, not {len(CHARTS)}")
            expect(
                min(a.seconds for a in s) >= DELAY_SECONDS,
                f"the delay did not apply to S: {[round(a.seconds, 2) for a in s]}",
            )
            proxy.clear()
            with CpuMeter(**pids) as meter:
                started = time.monotonic()
                t = await _load(client, *slow, force=True)
            t.meter = meter
            t.inserts = [r.time - started for r in proxy.requests if query_job(r)]
            _check_cold(t)
            rounds.append(Round(t0, s, t))
        proxy.clear()
        warm_loads = []
        for _ in range(WARM_LOADS):
            with CpuMeter(**pids) as meter:
                warm = await _load(client, *slow, force=False)
            warm.meter = meter
            expect(not warm.failed, f"warm tiles failed: {[t.detail for t in warm.failed]}")
            warm_loads.append(warm)
        warm_inserts = sum(query_job(r) for r in proxy.requests)
        proxy.reset()
    return rounds, warm_loads, warm_inserts


def _check_cold(load: Load) -> None:
    expect(not load.failed, f"cold tiles failed: {[t.detail for t in load.failed]}")
    expect(all(t.cached is False for t in load.tiles), "a cold tile answered from the cache")
    expect(
        len(load.inserts) == len(CHARTS),
        f"the cold load sent {len(load.inserts)} query jobs, not {len(CHARTS)}",
    )
    sqls = {t.sql for t in load.tiles}
    expect(len(sqls) == len(CHARTS), f"the charts ran {len(sqls)} different queries, not 12")


def run() -> Report:
    with emulator() as emu, HttpProxy(emu.rest_url) as proxy:
        emulator_process = emulator_pid(emu)
        seed_seconds = _seed(emu)
        with serve(NAME) as server, signed_in_client(server, CLIENT_TIMEOUT_SECONDS) as client:
            add_connection(client, emu.rest_url, emu.grpc_target, DIRECT)
            add_connection(client, proxy.url, emu.grpc_target, SLOW)
            direct = _dashboard(client, DIRECT)
            slow = _dashboard(client, SLOW)
            auth = {
                "cookies": dict(client.cookies),
                "headers": {CSRF_HEADER: client.headers[CSRF_HEADER]},
            }
            rounds, warm, warm_inserts = asyncio.run(
                _measure(server, auth, proxy, direct, slow, emulator_process)
            )
    return _report(Measured(seed_seconds, rounds, warm, warm_inserts))


# -- report --------------------------------------------------------------------------------
def _report(m: Measured) -> Report:
    t0 = median([r.t0_seconds for r in m.rounds])
    s = median([r.s_seconds for r in m.rounds])
    t = median([r.t.seconds for r in m.rounds])
    floor = s + t0
    ratio = t / floor
    report = Report(
        NAME,
        f"a {len(CHARTS)}-chart BigQuery dashboard loaded as the browser does (GET, then every "
        f"tile at once), each query job held {DELAY_SECONDS:g} s by a proxy in front of the "
        f"emulator; {ROUNDS} cold rounds, {WARM_LOADS} warm loads",
    )
    report.add(
        "data",
        f"{DATASET}.{TABLE}: {ROWS:,} rows made in {m.seed_seconds:.1f} s; "
        f"{len(CHARTS)} charts on each of two connections ({DIRECT}, {SLOW})",
    )
    report.add(
        "T0",
        f"the {len(CHARTS)} charts one at a time on {DIRECT}, force: rounds "
        f"{_list([r.t0_seconds for r in m.rounds])} s (sums)",
    )
    slowest = [max(r.s, key=lambda a: a.seconds) for r in m.rounds]
    report.add(
        "S",
        f"each chart alone on {SLOW}, force; the slowest: rounds "
        + ", ".join(f"{a.seconds:.2f} s (chart {a.chart + 1})" for a in slowest),
    )
    report.add(
        "T",
        f"cold load of the {SLOW} dashboard, force on every tile: rounds "
        f"{_list([r.t.seconds for r in m.rounds])} s",
    )
    report.add("baseline", f"S + T0 = {s:.2f} + {t0:.2f} = {floor:.2f} s (medians)")
    per_round = [r.t.seconds / (r.s_seconds + r.t0_seconds) for r in m.rounds]
    report.add(
        "ratio",
        f"T / (S + T0) = {ratio:.2f} (medians); per round {_list(per_round)}; "
        f"one tile after another would be ~{sum(a.seconds for a in m.rounds[0].s) / floor:.1f}",
    )
    for number, r in enumerate(m.rounds, 1):
        load = r.t
        meter = load.meter
        assert meter is not None
        clients = [a.seconds for a in load.tiles]
        servers = [a.server_ms / 1000 for a in load.tiles if a.server_ms is not None]
        report.add(
            f"  T round {number}",
            f"GET {ms(load.get_seconds)}; query jobs reached the proxy from "
            f"+{min(load.inserts):.3f} to +{max(load.inserts):.3f} s; tiles answered after "
            f"{min(clients):.2f} to {max(clients):.2f} s (server {min(servers):.2f} to "
            f"{max(servers):.2f} s); CPU: server {meter.share('server')}, emulator "
            f"{meter.share('emulator')}, this process {meter.share('bench')}",
        )
    walls = [w.seconds for w in m.warm]
    server_max = [max(t.server_ms or 0 for t in w.tiles) / 1000 for w in m.warm]
    tile_max = [max(t.seconds for t in w.tiles) for w in m.warm]
    cached = all(t.cached is True for w in m.warm for t in w.tiles)
    report.add(
        "warm",
        f"{WARM_LOADS} loads, force false: wall (GET + {len(CHARTS)} tiles, from this client) "
        f"median {ms(median(walls))}, p90 {ms(percentile(walls, 90))}, max {ms(max(walls))}; "
        f"GET median {ms(median([w.get_seconds for w in m.warm]))}; slowest tile request "
        f"median {ms(median(tile_max))}; slowest elapsed_ms (chart service) median "
        f"{ms(median(server_max))}",
    )
    cpu = {
        name: median([w.meter.used[name] for w in m.warm if w.meter is not None])
        for name in ("server", "bench")
    }
    report.add(
        "  CPU",
        f"per warm load (medians): server {ms(cpu['server'])}, this process (client) "
        f"{ms(cpu['bench'])}",
    )
    report.add(
        "  note",
        "over loopback the wall time bounds the server's own time from above (the network "
        "adds well under a millisecond; this client's own work is included)",
    )
    report.add(
        "  cache",
        f"every warm tile cached: {'yes' if cached else 'NO'}; every cold tile not cached: yes; "
        f"query jobs sent during the warm loads: {m.warm_inserts}",
    )
    for i, (name, spec) in enumerate(CHARTS):
        direct = median([r.t0[i].seconds for r in m.rounds])
        alone = median([r.s[i].seconds for r in m.rounds])
        cold = median([r.t.tiles[i].seconds for r in m.rounds])
        warm = median([w.tiles[i].seconds for w in m.warm])
        rows = m.rounds[-1].t.tiles[i].rows
        report.add(
            f"  chart {i + 1:>2}",
            f"{spec['type']:<10} {name[:34]:<34} {rows:>4} rows; {DIRECT} {direct:.2f} s, "
            f"{SLOW} alone {alone:.2f} s, in T {cold:.2f} s, warm {ms(warm)}",
        )
    report.target(
        f"T < {TARGET_RATIO} x (S + T0): the tiles' queries run concurrently", ratio < TARGET_RATIO
    )
    report.target(
        f"every warm tile answered from the cache ({m.warm_inserts} query jobs)",
        cached and not m.warm_inserts,
    )
    report.target(
        f"warm load (server time, as wall time over loopback) median < {ms(TARGET_WARM_SECONDS)}",
        median(walls) < TARGET_WARM_SECONDS,
    )
    return report


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)
