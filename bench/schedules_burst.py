"""``schedules_burst``: 1,000 scheduled reports due in the same minute (issue 13, Scale).

A real ``belvedere serve`` with an SMTP server of the tests' own (aiosmtpd, on loopback) and a
BigQuery connection through the tests' recording proxy (``tests/support/faults/``) in front of
the emulator, holding every ``jobs.query`` ``DELAY_SECONDS`` as BigQuery's latency would.

Set-up, through the API as a user would: ``N`` saved queries on the emulator, each its own SQL
(a 4-row aggregate plus its own number: no two runs alike; scheduled runs never read the
result cache anyway), and ``N`` e-mail reports of them, as their owner, each to its own
address. Then one write to the metadata store moves every schedule's cron to the same minute
(``M H * * *``) and its next run to that tick, the next minute boundary at least
``LEAD_SECONDS`` away: creating them at that minute through the API would race the clock.
The server looks for due schedules every ``TICK_SECONDS`` (``schedule_tick_seconds``).

Measured: every report sent (the store's delivery rows) and received (the SMTP server's
messages, one per address); the wall time from the tick to the last delivery; each delivery's
lateness (finished minus its tick) p50/p99/max; when the ticker claimed the first and last
tick; the peak number of ``jobs.query`` in flight at the proxy (the bounded concurrency); and
``GET /health`` polled every 20 ms from a process of its own, before and during the burst.

Baseline, measured in the same run: ``T1``, one such report alone ("send now", until its
delivery row says sent; median of ``T1_RUNS``), and ``E``, one such query straight to the
emulator with the SDK (median; the emulator runs one query at a time, so ``N x E`` is its own
floor, which no concurrency overlaps). Ideal wall time: ``max(ceil(N / C) x T1, N x E + T1)``,
``C`` the server's ``schedule_concurrency``, plus ``TICK_SECONDS`` (the ticker's period).

``BENCH_SCHEDULES=100`` runs fewer schedules; ``BENCH_SCHEDULE_CONCURRENCY=8`` starts the
server with another ``schedule_concurrency``.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import h11
import httpx
import sqlalchemy
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from tests.support.bigquery.emulator import Emulator
from tests.support.delivery import Received, mail_server
from tests.support.faults import HttpProxy, RecordedRequest, kind_is

from belvedere.settings import Settings
from belvedere.store.models import Schedule, ScheduleDelivery, ScheduleTick
from bench.bq import CONNECTION, CpuMeter, add_connection, create_table, emulator, emulator_pid
from bench.bq_concurrency import HealthPoller
from bench.support import (
    CSRF_HEADER,
    Report,
    Server,
    expect,
    median,
    ms,
    percentile,
    serve,
    signed_in_client,
)

NAME = "schedules_burst"
SCHEDULES_ENV = "BENCH_SCHEDULES"
CONCURRENCY_ENV = "BENCH_SCHEDULE_CONCURRENCY"
DEFAULT_SCHEDULES = 1_000
DELAY_SECONDS = 2.0
TICK_SECONDS = 1.0
LEAD_SECONDS = 25.0
T1_RUNS = 3
E_RUNS = 20
CREATE_PARALLEL = 16
IDLE_HEALTH_SECONDS = 3.0
POLL_SECONDS = 0.5
TARGET_RATIO = 1.3
TARGET_HEALTH_SECONDS = 0.100
CLIENT_TIMEOUT_SECONDS = 120.0
DATASET = "burst"
TABLE_SQL = (
    f"CREATE TABLE {DATASET}.kpis AS "
    "SELECT CASE MOD(n, 4) WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'east' "
    "ELSE 'west' END AS region, n AS revenue "
    "FROM UNNEST(GENERATE_ARRAY(1, 400)) AS n"
)
FAR_CRON = "0 0 1 1 *"


def _sql(n: int) -> str:
    """Schedule ``n``'s query: a 4-row aggregate, with its own number."""
    return (
        f"SELECT region, SUM(revenue) + {n} AS revenue, {n} AS schedule "
        f"FROM {DATASET}.kpis GROUP BY region ORDER BY region"
    )


def _address(n: int) -> str:
    return f"reader-{n:04d}@example.com"


class CountingProxy(HttpProxy):
    """The recording proxy, also counting the ``jobs.query`` calls in flight (arrived and not
    yet answered) and keeping the peak and each call's answer time."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.in_flight = 0
        self.peak = 0
        self.busy_seconds = 0.0
        """The sum of every answered call's time in flight, since :meth:`restart_count`."""
        self.forwarded: list[tuple[float, float]] = []
        """When each ``jobs.query`` was forwarded to the emulator and when its answer was
        through (``time.monotonic()``)."""

    def restart_count(self) -> None:
        with self._lock:
            self.peak = self.in_flight
            self.busy_seconds = 0.0
            self.forwarded.clear()

    async def _forward(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        record: RecordedRequest,
        changed: Any = None,
    ) -> bool:
        start = time.monotonic()
        try:
            return await super()._forward(conn, writer, request, headers, body, record, changed)
        finally:
            if record.kind == "jobs.query":
                with self._lock:
                    self.forwarded.append((start, time.monotonic()))

    def _record(self, request: h11.Request, body: bytes) -> RecordedRequest:
        record = super()._record(request, body)
        if record.kind == "jobs.query":
            with self._lock:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
        return record

    def _set_status(self, record: RecordedRequest, code: int) -> None:
        super()._set_status(record, code)
        if record.kind == "jobs.query":
            with self._lock:
                self.in_flight -= 1
                self.busy_seconds += time.monotonic() - record.time


@dataclass
class Burst:
    """What the burst left in the store and in the SMTP server."""

    tick: datetime
    sent: list[tuple[datetime, datetime]] = field(default_factory=list)
    """(started, finished) of each sent delivery row of the tick."""
    other: dict[str, int] = field(default_factory=dict)
    """Rows of the tick in any other status, by status."""
    claims: list[datetime] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    timed_out: bool = False
    health: list[float] = field(default_factory=list)
    health_failures: int = 0
    slowest_health: list[tuple[float, float]] = field(default_factory=list)
    """The slowest ``/health`` answers: (seconds, when after the tick)."""
    calls: dict[str, int] = field(default_factory=dict)
    emulator_busy: float = 0.0
    """Seconds during which the emulator had at least one jobs.query in hand."""
    """Requests the proxy received during the burst, by API method."""
    in_flight_peak: int = 0
    query_seconds: float = 0.0
    """The sum of every jobs.query's time at the proxy (arrival to answer)."""
    queries: int = 0
    meter: CpuMeter | None = None

    @property
    def lateness(self) -> list[float]:
        return [(finished - self.tick).total_seconds() for _, finished in self.sent]

    @property
    def wall(self) -> float:
        return max(self.lateness) if self.sent else float("nan")


def _count() -> int:
    return int(os.environ.get(SCHEDULES_ENV) or DEFAULT_SCHEDULES)


def _server_env(smtp_port: int) -> dict[str, str]:
    env = {
        "BELVEDERE_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "BELVEDERE_SMTP_FROM": "Belvedere <bench@example.com>",
        "BELVEDERE_SCHEDULE_TICK_SECONDS": str(TICK_SECONDS),
        "BELVEDERE_SCHEDULE_RETRY_SECONDS": "",  # a failure is final: the bench reports it
    }
    if concurrency := os.environ.get(CONCURRENCY_ENV):
        env["BELVEDERE_SCHEDULE_CONCURRENCY"] = concurrency
    return env


def _concurrency() -> int:
    if concurrency := os.environ.get(CONCURRENCY_ENV):
        return int(concurrency)
    return int(Settings.model_fields["schedule_concurrency"].default)


def run() -> Report:
    count = _count()
    with (
        emulator() as emu,
        CountingProxy(emu.rest_url) as proxy,
        mail_server() as (smtp_port, received),
        serve(NAME, _server_env(smtp_port)) as server,
    ):
        create_table(emu, DATASET, TABLE_SQL, "kpis", 400)
        return _measure(server, emu, proxy, received, count)


def _measure(
    server: Server, emu: Emulator, proxy: CountingProxy, received: list[Received], count: int
) -> Report:
    engine = sqlalchemy.create_engine(f"sqlite:///{server.data_dir / 'belvedere.db'}")
    try:
        with signed_in_client(server, CLIENT_TIMEOUT_SECONDS) as client:
            add_connection(client, proxy.url, emu.grpc_target)
            auth = {
                "cookies": dict(client.cookies),
                "headers": {CSRF_HEADER: client.headers[CSRF_HEADER]},
            }
            started = time.perf_counter()
            ids = asyncio.run(_create_all(server, auth, count))
            setup = time.perf_counter() - started
            alone = asyncio.run(_create_all(server, auth, 1, first=count))[0]
            e = _emulator_alone(emu)
            proxy.delay(DELAY_SECONDS, when=kind_is("jobs.query"))
            tick = _set_tick(engine, alone, len(ids))
            t1 = [_send_alone(server, client, engine, alone) for _ in range(T1_RUNS)]
            received.clear()
            with HealthPoller(server.url) as idle:
                time.sleep(IDLE_HEALTH_SECONDS)
            burst = _burst(server, emu, proxy, engine, received, tick, count)
    finally:
        engine.dispose()
    return _report(count, setup, t1, e, idle.latencies, burst)


# -- set-up ----------------------------------------------------------------------------------
async def _create_all(
    server: Server, auth: dict[str, Any], count: int, first: int = 0
) -> list[int]:
    """Create ``count`` saved queries and a schedule of each through the API, a few at once;
    the schedules' ids."""
    gate = asyncio.Semaphore(CREATE_PARALLEL)
    async with httpx.AsyncClient(
        base_url=server.url, timeout=CLIENT_TIMEOUT_SECONDS, **auth
    ) as client:

        async def one(n: int) -> int:
            async with gate:
                body = {"connection": CONNECTION, "name": f"KPIs {n:04d}", "sql": _sql(n)}
                saved = await client.post("/api/v1/saved-queries", json=body)
                expect(saved.status_code == 201, f"saved query {n}: {saved.text}")
                schedule = {
                    "name": f"Burst {n:04d}",
                    "target": {"kind": "saved_query", "id": saved.json()["id"]},
                    "cron": FAR_CRON,
                    "timezone": "UTC",
                    "channel": "email",
                    "recipients": [_address(n)],
                }
                created = await client.post("/api/v1/schedules", json=schedule)
                expect(
                    created.status_code == 201,
                    f"schedule {n}: {created.text}\n{server.log_tail(40)}",
                )
                return int(created.json()["id"])

        try:
            return list(await asyncio.gather(*(one(first + i) for i in range(count))))
        except httpx.TransportError as exc:
            alive = "running" if server.process.poll() is None else "exited"
            raise RuntimeError(f"{exc!r}; the server is {alive}:\n{server.log_tail(40)}") from exc


def _set_tick(engine: sqlalchemy.Engine, alone: int, count: int) -> datetime:
    """Move every schedule but ``alone`` to the next minute boundary at least
    ``LEAD_SECONDS`` away (its cron to that minute, daily; its next run to it); the tick."""
    at = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    tick = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    with engine.begin() as connection:
        moved = connection.execute(
            update(Schedule)
            .where(Schedule.id != alone)
            .values(cron=f"{tick.minute} {tick.hour} * * *", timezone="UTC", next_run_at=tick)
        ).rowcount
    expect(moved == count, f"{moved} of {count} schedules moved to the tick")
    return tick


def _emulator_alone(emu: Emulator) -> list[float]:
    """One schedule's query straight to the emulator with the SDK, ``E_RUNS`` times."""
    client = emu.client()
    seconds = []
    try:
        for n in range(E_RUNS):
            start = time.perf_counter()
            rows = list(client.query(_sql(100_000 + n)).result(timeout=60))
            seconds.append(time.perf_counter() - start)
            expect(len(rows) == 4, f"the emulator answered {len(rows)} rows")
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return seconds


def _send_alone(
    server: Server, client: httpx.Client, engine: sqlalchemy.Engine, schedule_id: int
) -> float:
    """``POST .../send`` and wait for its delivery row to end; seconds until it ended."""
    before = _last_delivery(engine, schedule_id)
    posted = datetime.now(UTC)
    response = client.post(f"/api/v1/schedules/{schedule_id}/send")
    expect(response.status_code in (200, 202, 204), f"send now: {response.text}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = _last_delivery(engine, schedule_id)
        if row is not None and row.id != (before.id if before else None) and row.finished_at:
            expect(row.status == "sent", f"send now ended {row.status}: {row.message}")
            return (row.finished_at - posted).total_seconds()
        time.sleep(0.05)
    raise RuntimeError(
        f"a schedule sent alone was not delivered within 60 s:\n{server.log_tail(40)}"
    )


def _last_delivery(engine: sqlalchemy.Engine, schedule_id: int) -> ScheduleDelivery | None:
    query = (
        select(ScheduleDelivery)
        .where(ScheduleDelivery.schedule_id == schedule_id)
        .order_by(ScheduleDelivery.id.desc())
        .limit(1)
    )
    with Session(engine) as session:
        return session.scalars(query).first()


# -- the burst -------------------------------------------------------------------------------
def _burst(
    server: Server,
    emu: Emulator,
    proxy: CountingProxy,
    engine: sqlalchemy.Engine,
    received: list[Received],
    tick: datetime,
    count: int,
) -> Burst:
    burst = Burst(tick)
    concurrency = _concurrency()
    limit = max(600.0, 4 * math.ceil(count / concurrency) * DELAY_SECONDS)
    poller = HealthPoller(server.url)
    pids = {"server": server.pid, "emulator": emulator_pid(emu), "bench": os.getpid()}
    with poller:
        proxy.clear()
        proxy.restart_count()
        wait = (tick - datetime.now(UTC)).total_seconds()
        expect(wait > 0, f"the set-up ran past the tick by {-wait:.1f} s")
        time.sleep(wait)
        at_tick = time.monotonic()
        with CpuMeter(**pids) as meter:
            deadline = time.monotonic() + limit
            while not _ended(engine, tick, count):
                if time.monotonic() > deadline:
                    burst.timed_out = True
                    break
                time.sleep(POLL_SECONDS)
    burst.meter = meter
    during = [
        (seconds, sent - at_tick)
        for seconds, sent in zip(poller.latencies, poller.started, strict=True)
        if sent >= at_tick
    ]
    burst.health = [seconds for seconds, _ in during]
    burst.slowest_health = sorted(during, reverse=True)[:5]
    burst.health_failures = poller.failures
    _read_outcome(engine, burst)
    burst.received = list(received)
    queries = [r for r in proxy.requests if r.kind == "jobs.query"]
    burst.queries = len(queries)
    burst.emulator_busy = _covered(proxy.forwarded)
    for request in proxy.requests:
        burst.calls[request.kind] = burst.calls.get(request.kind, 0) + 1
    burst.in_flight_peak = proxy.peak
    burst.query_seconds = proxy.busy_seconds
    expect(not proxy.errors, f"errors in the proxy: {proxy.errors}")
    return burst


def _covered(intervals: list[tuple[float, float]]) -> float:
    """The length of the union of ``intervals``."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def _ended(engine: sqlalchemy.Engine, tick: datetime, count: int) -> bool:
    """Whether every schedule of the tick has a delivery row that ended (sent or failed)."""
    query = select(sqlalchemy.func.count(sqlalchemy.distinct(ScheduleDelivery.schedule_id))).where(
        ScheduleDelivery.due_at == tick, ScheduleDelivery.status.in_(("sent", "failed"))
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one()) >= count


def _read_outcome(engine: sqlalchemy.Engine, burst: Burst) -> None:
    with Session(engine) as session:
        for row in session.scalars(
            select(ScheduleDelivery).where(ScheduleDelivery.due_at == burst.tick)
        ):
            if row.status == "sent" and row.finished_at is not None:
                burst.sent.append((row.started_at, row.finished_at))
            else:
                burst.other[row.status] = burst.other.get(row.status, 0) + 1
        burst.claims = sorted(
            session.scalars(
                select(ScheduleTick.claimed_at).where(ScheduleTick.due_at == burst.tick)
            )
        )


# -- the report ------------------------------------------------------------------------------
def _report(
    count: int, setup: float, t1: list[float], e: list[float], idle: list[float], burst: Burst
) -> Report:
    concurrency = _concurrency()
    ideal = (
        max(math.ceil(count / concurrency) * median(t1), count * median(e) + median(t1))
        + TICK_SECONDS
    )
    report = Report(
        NAME,
        f"{count:,} e-mailed reports of saved queries on the BigQuery emulator, all due at the "
        f"same minute, each query held {DELAY_SECONDS:g} s at jobs.query by a proxy; "
        f"schedule_concurrency {concurrency}, schedule_tick_seconds {TICK_SECONDS:g}",
    )
    report.add(
        "set-up",
        f"{count:,} saved queries (each its own SQL: no two runs alike) and their schedules "
        f"(as owner, one address each) created through the API in {setup:.1f} s; then one "
        f"UPDATE moved them to the tick {burst.tick:%H:%M:%S} UTC",
    )
    report.add(
        "T1",
        f"one such report alone (send now, to sent): median {median(t1):.2f} s; runs {_list(t1)} s",
    )
    report.add(
        "E",
        f"one such query straight to the emulator (SDK): median {ms(median(e))}; "
        f"x {count:,} = {count * median(e):.1f} s, the emulator's own floor",
    )
    report.add(
        "baseline",
        f"ideal wall time max(ceil(N / {concurrency}) x T1, N x E + T1) + the ticker's "
        f"period {TICK_SECONDS:g} s = {ideal:.1f} s",
    )
    sent = len(burst.sent)
    addresses = {a for m in burst.received for a in m.recipients}
    subjects = {str(m.message["subject"]) for m in burst.received}
    report.add(
        "delivered",
        f"{sent:,}/{count:,} delivery rows sent; other rows {burst.other or 'none'}; "
        f"{len(burst.received):,} messages received, to {len(addresses):,} addresses, "
        f"{len(subjects):,} subjects" + ("; STOPPED at the time limit" if burst.timed_out else ""),
    )
    lateness = burst.lateness
    if lateness:
        report.add(
            "wall time",
            f"tick to the last delivery {burst.wall:.1f} s; ratio to the baseline "
            f"{burst.wall / ideal:.2f}",
        )
        report.add(
            "lateness",
            f"each delivery's end after its tick: p50 {percentile(lateness, 50):.1f} s, "
            f"p99 {percentile(lateness, 99):.1f} s, max {max(lateness):.1f} s",
        )
        first = min(s for s, _ in burst.sent)
        report.add(
            "  ticker",
            f"first delivery row (written once its report is built) "
            f"+{(first - burst.tick).total_seconds():.2f} s after the tick; "
            + (
                f"ticks claimed from +{(burst.claims[0] - burst.tick).total_seconds():.2f} s "
                f"to +{(burst.claims[-1] - burst.tick).total_seconds():.2f} s "
                f"({len(burst.claims):,} claims)"
                if burst.claims
                else "no claims recorded"
            ),
        )
    mean = burst.query_seconds / burst.wall if lateness else float("nan")
    report.add(
        "concurrency",
        f"jobs.query in flight at the proxy: peak {burst.in_flight_peak} "
        f"(schedule_concurrency {concurrency}), mean {mean:.1f} over the wall time; "
        f"{burst.queries:,} jobs.query recorded",
    )
    calls = ", ".join(f"{kind} {n:,}" for kind, n in sorted(burst.calls.items()))
    report.add(
        "  emulator",
        f"had a query in hand (forwarded, not yet answered) {burst.emulator_busy:.1f} s of "
        f"the {burst.wall:.1f} s ({burst.emulator_busy / burst.wall:.0%}): it runs one at a "
        f"time; requests through the proxy during the burst: {calls}",
    )
    meter = burst.meter
    if meter is not None:
        report.add(
            "CPU",
            f"server {meter.share('server')}, emulator {meter.share('emulator')}, "
            f"this process (proxy, SMTP, poller) {meter.share('bench')}",
        )
    report.add("health idle", f"{len(idle)} requests before the burst: {_spread(idle)}")
    health = burst.health
    report.add(
        "health burst",
        f"{len(health)} requests from the tick to the end: "
        f"{_spread(health) if health else 'none'}; "
        f"{sum(h >= TARGET_HEALTH_SECONDS for h in health)} over {ms(TARGET_HEALTH_SECONDS)}; "
        f"{burst.health_failures} failed",
    )
    report.add(
        "  slowest",
        ", ".join(f"{ms(s)} at +{at:.1f} s" for s, at in burst.slowest_health) + " after the tick",
    )
    report.target(
        f"all {count:,} delivered: sent rows and messages to every address",
        sent == count and len(burst.received) == count and len(addresses) == count,
    )
    report.target(
        f"bounded: at most {concurrency} queries in flight", 0 < burst.in_flight_peak <= concurrency
    )
    report.target(
        f"wall time < {TARGET_RATIO} x the ideal",
        bool(lateness) and burst.wall < TARGET_RATIO * ideal,
    )
    report.target(
        f"GET /health < {ms(TARGET_HEALTH_SECONDS)} throughout the burst",
        bool(health) and max(health) < TARGET_HEALTH_SECONDS and not burst.health_failures,
    )
    return report


def _spread(values: list[float]) -> str:
    return f"median {ms(median(values))}, p99 {ms(percentile(values, 99))}, max {ms(max(values))}"


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)
