"""``bq_concurrency``: 200 BigQuery queries at once, each answered 2 s late (issue 3, point 8).

A recording proxy of the tests' own (``tests/support/faults/``) sits in front of the
BigQuery emulator's REST API; Belvedere's connection goes through it. With
``DELAY_SECONDS`` added to every ``jobs.query`` (where the emulator runs a query and answers),
a BigQuery that takes 2 s per query is imitated. The emulator itself runs one query at a time.

- ``T1``: one trivial query with the delay, alone (median of ``T1_RUNS``).
- ``T0``: ``QUERIES`` different trivial queries (``SELECT <n>``) at once, no delay: the
  emulator's own floor, since it runs them one after another.
- ``T``: ``QUERIES`` different trivial queries at once, with the delay.

A server that waits for BigQuery concurrently overlaps the delays: ``T`` close to ``T0 + T1``;
one that waits in turns approaches ``QUERIES x T1``. Clients: one asyncio ``httpx`` client
sending every ``POST /api/v1/runs`` at once (``wait_ms`` long enough), each run checked for its
own row. During ``T``, a process of its own polls ``GET /health`` every
``HEALTH_PACE_SECONDS``. The recorder checks that every query's ``jobs.query`` went through the
proxy, and each run's time on the server shows that the delay applied. ``ROUNDS`` rounds of
``T0`` then ``T``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.support.bigquery.emulator import Emulator
from tests.support.faults import HttpProxy, kind_is

from bench.bq import (
    CONNECTION,
    CpuMeter,
    add_connection,
    emulator,
    emulator_pid,
)
from bench.support import (
    CSRF_HEADER,
    PASSWORD,
    TERMINAL,
    WAIT_MS,
    Report,
    Server,
    expect,
    finish,
    median,
    ms,
    percentile,
    profile_from_here,
    serve,
    signed_in_client,
    submit,
)

NAME = "bq_concurrency"
QUERIES = 200
DELAY_SECONDS = 2.0
T1_RUNS = 3
ROUNDS = 2
HEALTH_PACE_SECONDS = 0.02
IDLE_HEALTH_SECONDS = 3.0
TARGET_RATIO = 1.25
TARGET_HEALTH_SECONDS = 0.100
CLIENT_TIMEOUT_SECONDS = 300.0
POLLER_STOP_SECONDS = 15.0
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Outcome:
    """One query as its client saw it."""

    n: int
    seconds: float = 0.0
    ok: bool = False
    detail: str = ""
    server_ms: float | None = None
    """The run's time on the server (started to finished)."""


@dataclass
class Burst:
    """``QUERIES`` queries at once."""

    seconds: float
    outcomes: list[Outcome]
    started: float
    """``time.monotonic()`` when the first request was sent."""
    inserts: list[float] = field(default_factory=list)
    """When each matching ``jobs.query`` reached the proxy (``time.monotonic()``)."""
    health: list[float] = field(default_factory=list)
    health_sent: list[float] = field(default_factory=list)
    """``time.monotonic()`` when each ``/health`` request was sent."""
    health_failures: int = 0
    meter: CpuMeter | None = None

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


async def _one(client: httpx.AsyncClient, n: int) -> Outcome:
    outcome = Outcome(n)
    start = time.perf_counter()
    try:
        body = {"connection": CONNECTION, "sql": f"SELECT {n}", "wait_ms": WAIT_MS}
        response = await client.post("/api/v1/runs", json=body)
        if response.status_code not in (200, 202):
            outcome.detail = f"POST /runs answered {response.status_code}: {response.text[:200]}"
            return outcome
        run: dict[str, Any] = response.json()
        while run["status"] not in TERMINAL:
            response = await client.get(f"/api/v1/runs/{run['id']}", params={"wait_ms": WAIT_MS})
            response.raise_for_status()
            run = response.json()
        result = run.get("result")
        if run["status"] == "succeeded" and result is None:
            response = await client.get(f"/api/v1/runs/{run['id']}/results")
            response.raise_for_status()
            result = response.json()
        outcome.seconds = time.perf_counter() - start
        outcome.server_ms = run.get("elapsed_ms")
        rows = result["rows"] if result else None
        outcome.ok = run["status"] == "succeeded" and rows == [[n]]
        if not outcome.ok:
            outcome.detail = f"{run['status']}: rows {rows}, error {run.get('error')}"
    except Exception as exc:  # reported as a failed query
        outcome.detail = repr(exc)
    return outcome


async def _all_at_once(server: Server, auth: dict[str, Any], first: int) -> Burst:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=server.url, timeout=CLIENT_TIMEOUT_SECONDS, limits=limits, **auth
    ) as client:
        started = time.monotonic()
        start = time.perf_counter()
        outcomes = await asyncio.gather(*(_one(client, first + i) for i in range(QUERIES)))
        return Burst(time.perf_counter() - start, list(outcomes), started)


class HealthPoller:
    """``GET /health`` every ``HEALTH_PACE_SECONDS`` while the block runs, from a process of its
    own (``bench._health``): this one is busy with 200 clients and the proxy."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.latencies: list[float] = []
        self.started: list[float] = []
        """``time.monotonic()`` when each request was sent."""
        self.failures = 0

    def __enter__(self) -> HealthPoller:
        argv = [sys.executable, "-m", "bench._health", self._url, str(HEALTH_PACE_SECONDS)]
        self._process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
        )
        assert self._process.stdout is not None
        ready = self._process.stdout.readline().strip()
        if ready != "ready":
            self._process.kill()
            self._process.wait()
            raise RuntimeError(f"the /health poller did not start: {ready!r}")
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            out, _ = self._process.communicate("", timeout=POLLER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise
        for sent, seconds, ok in json.loads(out):
            self.started.append(sent)
            self.latencies.append(seconds)
            self.failures += not ok


def _burst(
    server: Server,
    auth: dict[str, Any],
    proxy: HttpProxy,
    first: int,
    emulator_process: int,
    poll_health: bool,
    workers: list[int] | None = None,
) -> Burst:
    proxy.clear()
    poller = HealthPoller(server.url)
    pids = {"server": server.pid, "emulator": emulator_process, "bench": os.getpid()}
    pids.update({f"worker {n}": pid for n, pid in enumerate(workers or [], 1)})
    with poller if poll_health else nullcontext(), CpuMeter(**pids) as meter:
        burst = asyncio.run(_all_at_once(server, auth, first))
    burst.meter = meter
    burst.health, burst.health_failures = poller.latencies, poller.failures
    burst.health_sent = poller.started
    wanted = {f"SELECT {first + i}" for i in range(QUERIES)}
    burst.inserts = [
        r.time for r in proxy.requests if r.kind == "jobs.query" and (r.sql or "") in wanted
    ]
    expect(not proxy.errors, f"errors in the proxy: {proxy.errors}")
    return burst


def _single(client: httpx.Client, n: int) -> float:
    start = time.perf_counter()
    run = finish(client, submit(client, f"SELECT {n}", wait_ms=WAIT_MS, connection=CONNECTION))
    elapsed = time.perf_counter() - start
    expect(run["status"] == "succeeded", f"SELECT {n} did not succeed: {run}")
    expect(run["result"]["rows"] == [[n]], f"SELECT {n} answered {run['result']}")
    return elapsed


def run() -> Report:
    with emulator() as emu, HttpProxy(emu.rest_url) as proxy, serve(NAME) as server:
        return measure(server, emu, proxy, PASSWORD, NAME, "through Belvedere")


def measure(
    server: Server,
    emu: Emulator,
    proxy: HttpProxy,
    password: str,
    name: str,
    where: str,
    *,
    profile: bool = True,
    workers: Callable[[], list[int]] | None = None,
) -> Report:
    """``T1``, ``T0`` and ``T`` on a running server whose connection ``bq`` is added here (the
    same measure for one server and for a platform of web servers and workers, ``where``);
    ``workers`` gives PIDs whose CPU is shown too."""
    t1: list[float] = []
    t0s: list[Burst] = []
    ts: list[Burst] = []
    emulator_process = emulator_pid(emu)
    more = workers or list
    with signed_in_client(server, CLIENT_TIMEOUT_SECONDS, password=password) as client:
        add_connection(client, proxy.url, emu.grpc_target)
        auth = {
            "cookies": dict(client.cookies),
            "headers": {CSRF_HEADER: client.headers[CSRF_HEADER]},
        }
        for n in range(5):
            _single(client, n)
        # Warm-up at full width: the server's pools and connections, the emulator's caches.
        warm = _burst(server, auth, proxy, 1_000, emulator_process, False, more())
        expect(not warm.failures, f"warm-up queries failed: {warm.failures[:3]}")
        with HealthPoller(server.url) as idle:
            time.sleep(IDLE_HEALTH_SECONDS)
        if profile:
            profile_from_here(server)
        proxy.delay(DELAY_SECONDS, when=kind_is("jobs.query"))
        for n in range(T1_RUNS):
            proxy.clear()
            t1.append(_single(client, 10 + n))
            inserts = [r for r in proxy.requests if r.kind == "jobs.query"]
            expect(len(inserts) == 1, f"T1 sent {len(inserts)} jobs.query")
        expect(min(t1) >= DELAY_SECONDS, f"the delay did not apply to T1: {t1}")
        for round_ in range(ROUNDS):
            proxy.reset()
            first = 10_000 * (round_ + 1)
            t0s.append(_burst(server, auth, proxy, first, emulator_process, False, more()))
            proxy.delay(DELAY_SECONDS, when=kind_is("jobs.query"))
            ts.append(_burst(server, auth, proxy, first + 5_000, emulator_process, True, more()))
        proxy.reset()
    return _report(t1, t0s, ts, idle.latencies, name, where)


def _report(
    t1: list[float],
    t0s: list[Burst],
    ts: list[Burst],
    idle: list[float],
    name: str,
    where: str,
) -> Report:
    floor = median([b.seconds for b in t0s]) + median(t1)
    ratio = median([b.seconds for b in ts]) / floor
    report = Report(
        name,
        f"{QUERIES} concurrent trivial BigQuery queries {where}, each held "
        f"{DELAY_SECONDS:g} s at jobs.query by a proxy in front of the emulator, {ROUNDS} rounds",
    )
    report.add("T1", f"one query with the delay: median {median(t1):.2f} s; runs {_list(t1)} s")
    report.add("T0", f"{QUERIES} at once, no delay: rounds {_list([b.seconds for b in t0s])} s")
    report.add("T", f"{QUERIES} at once, with the delay: rounds {_list([b.seconds for b in ts])} s")
    report.add(
        "baseline",
        f"T0 + T1 = {floor:.2f} s (medians): the burst without the delay, plus one delay",
    )
    per_round = [t.seconds / (t0.seconds + median(t1)) for t0, t in zip(t0s, ts, strict=True)]
    report.add(
        "ratio",
        f"T / (T0 + T1) = {ratio:.2f} (medians); per round {_list(per_round)}; "
        f"fully serial would be ~{QUERIES * median(t1) / floor:.0f}",
    )
    for label, bursts in (("T0", t0s), ("T", ts)):
        for number, burst in enumerate(bursts, 1):
            seconds = [o.seconds for o in burst.outcomes if o.ok]
            server = [o.server_ms / 1000 for o in burst.outcomes if o.server_ms is not None]
            spread = max(burst.inserts) - burst.started if burst.inserts else float("nan")
            meter = burst.meter
            assert meter is not None
            report.add(
                f"  {label} round {number}",
                f"{len(burst.outcomes) - len(burst.failures)}/{QUERIES} succeeded with their row; "
                f"per query: client median {_s(seconds, 50)}, max {_s(seconds, 100)}; "
                f"on the server min {_s(server, 0)}, max {_s(server, 100)}; "
                f"{len(burst.inserts)} jobs.query recorded, the last {spread:.2f} s after the "
                f"first POST; CPU: server {meter.share('server')}, "
                f"emulator {meter.share('emulator')}, this process (clients, proxy) "
                f"{meter.share('bench')}"
                + "".join(f", {k} {meter.share(k)}" for k in meter.used if k.startswith("worker")),
            )
    health = [latency for burst in ts for latency in burst.health]
    health_failures = sum(b.health_failures for b in ts)
    report.add("health idle", f"{len(idle)} requests before the rounds: {_spread(idle)}")
    report.add(
        "health during T",
        f"{len(health)} requests: {_spread(health)}; {health_failures} failed",
    )
    slowest = sorted(
        (
            (latency, number, sent - burst.started)
            for number, burst in enumerate(ts, 1)
            for latency, sent in zip(burst.health, burst.health_sent, strict=True)
        ),
        reverse=True,
    )[:5]
    report.add(
        "  slowest",
        ", ".join(f"{ms(lat)} at +{at:.2f} s (round {n})" for lat, n, at in slowest)
        + " after the burst's first POST",
    )
    failures = [o for b in t0s + ts for o in b.failures]
    for outcome in failures[:3]:
        report.add("  failed", f"SELECT {outcome.n}: {outcome.detail}")
    least = DELAY_SECONDS * 1000
    delayed = all(
        len(b.inserts) == QUERIES
        and all(o.server_ms is not None and o.server_ms >= least for o in b.outcomes if o.ok)
        for b in ts
    )
    report.add(
        "delay check",
        f"every T query's jobs.query recorded by the proxy and each run took >= "
        f"{DELAY_SECONDS:g} s on the server: {'yes' if delayed else 'NO'}",
    )
    report.target(
        f"no errors: all {len(t0s + ts) * QUERIES} queries succeeded with their row",
        not failures,
    )
    report.target("the delay applied to every T query", delayed)
    report.target(f"T < {TARGET_RATIO} x (T0 + T1)", ratio < TARGET_RATIO)
    report.target(
        f"GET /health < {ms(TARGET_HEALTH_SECONDS)} throughout T",
        bool(health) and max(health) < TARGET_HEALTH_SECONDS and not health_failures,
    )
    return report


def _spread(values: list[float]) -> str:
    return f"median {ms(median(values))}, p99 {ms(percentile(values, 99))}, max {ms(max(values))}"


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def _s(values: list[float], pct: float) -> str:
    return f"{percentile(values, pct):.2f} s" if values else "n/a"
