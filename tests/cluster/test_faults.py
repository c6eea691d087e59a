"""Faults of a cluster run as real processes: a worker killed mid-run, Redis down under load,
a BigQuery job cancelled from another host, and a burst on one queue beside the other.

After each, the metadata store is consistent: no run stays `queued` or `running` without a
live worker to end it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import httpx
import psycopg
import pytest

from belvedere.cluster.dispatch import QUEUE_DOWN
from belvedere.cluster.reaper import WORKER_LOST
from belvedere.results.redis import UNREACHABLE as RESULTS_DOWN
from tests.support.bigquery.emulator import Emulator
from tests.support.faults import HttpProxy, RecordedRequest
from tests.support.servers.cluster import ADMIN_PASSWORD, Cluster, Process
from tests.support.servers.postgres import PostgresServer
from tests.support.web.client import signed_in

pytestmark = pytest.mark.postgres

#: Runs for minutes on DuckDB unless stopped.
ENDLESS_DUCKDB = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"
FINAL = ("succeeded", "failed", "cancelled", "timed_out")
T = TypeVar("T")


def until(check: Callable[[], T | None], within: float, what: str, every: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        time.sleep(every)


def admin(web: Process) -> httpx.Client:
    assert web.url
    return signed_in(web.url, "admin", ADMIN_PASSWORD)


def submit(api: httpx.Client, sql: str, **more: Any) -> dict[str, Any]:
    """Submit a run without waiting; the run as answered."""
    response = api.post(
        "/api/v1/runs", json={"connection": "demo", "sql": sql, "wait_ms": 0, **more}
    )
    assert response.status_code in (200, 202), response.text
    run: dict[str, Any] = response.json()
    return run


def run_of(api: httpx.Client, run_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/runs/{run_id}")
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    return run


def status_is(api: httpx.Client, run_id: str, *statuses: str) -> dict[str, Any] | None:
    run = run_of(api, run_id)
    return run if run["status"] in statuses else None


def quick_query_succeeds(api: httpx.Client, sql: str = "SELECT 42 AS answer") -> float:
    """Run a quick DuckDB query to its end; how long the answer took."""
    started = time.monotonic()
    response = api.post("/api/v1/runs", json={"connection": "demo", "sql": sql, "wait_ms": 20_000})
    took = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded", response.text
    return took


def orphans(platform: Cluster) -> list[tuple[str, str, str | None]]:
    """Runs the store holds `queued` or `running` with no live worker to end them."""
    active = platform.active_runs()
    if not active:
        return []
    living = platform.workers_alive()
    return [
        (run_id, status, worker)
        for run_id, status, worker in active
        if (status == "queued" and not living) or (status == "running" and worker not in living)
    ]


def assert_settled(platform: Cluster, within: float) -> None:
    """Every run reaches a final state within ``within`` seconds: none is left `queued` or
    `running`, in particular none without a live worker to end it."""
    deadline = time.monotonic() + within
    while active := platform.active_runs():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"still active: {active}; with no live worker: {orphans(platform)}"
            )
        time.sleep(0.2)


def bus_listeners(platform: Cluster) -> int:
    """How many processes listen on the bus (each subscribes to one pattern)."""
    with platform.redis.client() as client:
        return int(client.pubsub_numpat())


def ended_with(platform: Cluster, code: str) -> int:
    """How many runs the metadata store holds failed with the error ``code``."""
    url = platform.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM query_runs WHERE status = 'failed' AND error_code = %s", (code,)
        ).fetchone()
    return int(row[0]) if row else 0


# -- 1. a worker killed -----------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_a_worker_killed_mid_run_fails_its_run_and_another_worker_takes_over(
    platform: Cluster,
) -> None:
    (web,), (doomed,) = platform.hosts(
        ("web-a",), {"w1": ("--queues", "embedded", "--concurrency", "1")}
    )
    api = admin(web)
    running = submit(api, ENDLESS_DUCKDB)
    until(lambda: status_is(api, running["id"], "running"), 20, "the long query runs")
    # Queued behind it on the only thread: never started when its worker dies.
    waiting = submit(api, "SELECT 2 AS two", timeout_seconds=6)
    assert run_of(api, waiting["id"])["status"] == "queued"

    doomed.kill()
    killed = time.monotonic()
    lost = until(
        lambda: status_is(api, running["id"], "failed", "succeeded", "cancelled", "timed_out"),
        15,
        "the killed worker's run ends",
        every=0.1,
    )
    took = time.monotonic() - killed
    assert lost["status"] == "failed", lost
    assert lost["error"]["code"] == "worker_lost", lost
    assert lost["error"]["message"] == WORKER_LOST
    assert took < 10, f"worker_lost after {took:.1f} s"

    platform.worker("w2", "--queues", "embedded")
    assert not orphans(platform)
    assert quick_query_succeeds(api) < 5
    # The queued run was not lost: another worker ran it, or it ended at its deadline.
    ended = until(lambda: status_is(api, waiting["id"], *FINAL), 10, "the queued run ends")
    assert ended["status"] in ("succeeded", "timed_out"), ended
    if ended["status"] == "timed_out":  # at its deadline, by the web server's timer
        assert ended["error"]["message"] == (
            "The query did not finish within its 6 s deadline and was stopped."
        )
        finished = datetime.fromisoformat(ended["finished_at"])
        assert finished - datetime.fromisoformat(ended["submitted_at"]) < timedelta(seconds=8)
    assert_settled(platform, within=5)


# -- 2. Redis down under load -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One submit of the load: when it was sent and answered, and what it answered."""

    sent: float
    answered: float
    status: int
    code: str | None
    message: str | None
    run_id: str | None


class Load:
    """A few clients submitting quick, distinct DuckDB queries in a loop, until stopped."""

    def __init__(self, web: Process, clients: int = 3) -> None:
        self.answers: list[Answer] = []
        self.errors: list[str] = []
        self._web = web
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(n,), daemon=True) for n in range(clients)
        ]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _loop(self, client: int) -> None:
        api = admin(self._web)
        n = 0
        while not self._stop.is_set():
            n += 1
            body = {
                "connection": "demo",
                "sql": f"SELECT {client} AS client, {n} AS n",
                "wait_ms": 2000,
                "timeout_seconds": 5,
            }
            sent = time.monotonic()
            try:
                response = api.post("/api/v1/runs", json=body, timeout=15)
            except httpx.HTTPError as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            data = response.json()
            error = data.get("error") or {}
            run = data.get("run", data)
            self.answers.append(
                Answer(
                    sent,
                    time.monotonic(),
                    response.status_code,
                    error.get("code"),
                    error.get("message"),
                    run.get("id"),
                )
            )
            time.sleep(0.05)  # a client's think time, so the server is not flooded

    def since(self, moment: float) -> list[Answer]:
        return [a for a in list(self.answers) if a.sent >= moment]


OUTAGE_SECONDS = 32


@pytest.mark.timeout(150)
def test_redis_down_under_load_answers_503_and_recovers_by_itself(platform: Cluster) -> None:
    (web,), _ = platform.hosts(("web-a",), {"w1": ("--queues", "embedded", "--concurrency", "4")})
    api = admin(web)
    before = api.post(
        "/api/v1/runs", json={"connection": "demo", "sql": "SELECT 7 AS seven", "wait_ms": 20_000}
    ).json()
    assert before["status"] == "succeeded", before

    with Load(web) as load:
        until(lambda: any(a.status == 200 for a in load.answers), 10, "the load succeeds")
        platform.redis.stop()
        down = time.monotonic()

        # Results live in Redis too: reading them now is a clear 503, not a 500.
        def result_refused() -> httpx.Response | None:
            response = api.get(f"/api/v1/runs/{before['id']}/results")
            return response if response.status_code != 200 else None

        read = until(result_refused, 5, "reading a result fails")
        assert read.status_code == 503, read.text
        assert read.json()["error"] == {"code": "results_unavailable", "message": RESULTS_DOWN}
        assert run_of(api, before["id"])["status"] == "succeeded"  # the store is PostgreSQL

        while time.monotonic() - down < OUTAGE_SECONDS:
            assert not load.errors, load.errors
            time.sleep(0.5)
        during = load.since(down)  # each answered, all before Redis is back

        platform.redis.start()
        back = time.monotonic()
        recovered = until(
            lambda: next((a for a in load.since(back) if a.status == 200), None),
            OUTAGE_SECONDS + 10,
            "a submit succeeds after Redis is back",
        )
        recovery = recovered.answered - back

    assert not load.errors, load.errors
    # While Redis was down: every submit a clear 503, each within a few seconds.
    assert len(during) >= 10, during
    wrong = [
        a for a in during if (a.status, a.code, a.message) != (503, "queue_unavailable", QUEUE_DOWN)
    ]
    assert not wrong, wrong
    slowest = max(a.answered - a.sent for a in during)
    assert slowest < 3, f"a submit took {slowest:.1f} s while Redis was down"
    # Around the outage too: no 500, no hang.
    assert not [a for a in load.answers if a.status >= 500 and a.status != 503], load.answers
    assert max(a.answered - a.sent for a in load.answers) < 8

    # Workers beat again, the web server and the worker listen on the bus again, and
    # cancels reach the worker again.
    until(platform.workers_alive, 5, "the worker beats again")
    until(lambda: bus_listeners(platform) >= 2, 5, "the web server and worker listen again")
    endless = submit(api, ENDLESS_DUCKDB)
    until(lambda: status_is(api, endless["id"], "running"), 10, "the long query runs")
    until(lambda: any(w.active for w in platform.heartbeats()), 3, "the worker says it is busy")
    clicked = time.monotonic()
    cancelled = api.post(f"/api/v1/runs/{endless['id']}/cancel").json()
    assert cancelled["status"] == "cancelled", cancelled
    until(lambda: not any(w.active for w in platform.heartbeats()), 3, "the worker is free")
    assert time.monotonic() - clicked < 2.5  # heartbeats come every second

    # Nothing is left queued or running: every run of the outage ended by its deadline, and
    # each refused submit is a run the store holds failed with the same error.
    assert_settled(platform, within=20)
    refused = [a for a in load.answers if a.code == "queue_unavailable"]
    assert ended_with(platform, "queue_unavailable") == len(refused)
    # Last, as it fails today (see the mark): runs submitted once Redis is back ran at once.
    assert recovery < 5, f"submits succeeded again {recovery:.1f} s after Redis was back"


# -- 3. a BigQuery job cancelled across hosts --------------------------------------------------


@pytest.fixture
def bq_proxy(bq_emulator: Emulator) -> Iterator[HttpProxy]:
    """A recording proxy with faults in front of the emulator's REST API, for this test."""
    with HttpProxy(bq_emulator.rest_url) as proxy:
        yield proxy
        proxy.reset()


def query_job(request: RecordedRequest) -> bool:
    if request.kind == "jobs.query":
        return True
    return request.kind == "jobs.insert" and not request.body["configuration"].get("dryRun")


#: A query still running when jobs.query answers (the emulator always finishes first: the proxy
#: answers in its place), and a waiting for its rows that hangs.
LONG_JOB = {"projectId": "test-project", "jobId": "long_running_job", "location": "US"}
WAITING = ("jobs.getQueryResults", "jobs.get")


@pytest.mark.bigquery
@pytest.mark.timeout(120)
def test_cancel_on_another_host_cancels_the_bigquery_job_on_the_worker(
    platform: Cluster, bq_emulator: Emulator, bq_proxy: HttpProxy
) -> None:
    (a, b), _ = platform.hosts(
        ("web-a", "web-b"), {"w1": ("--queues", "remote", "--concurrency", "2")}
    )
    on_a, on_b = admin(a), admin(b)
    options = {
        "project": bq_emulator.project,
        "auth": "none",
        "api_endpoint": bq_proxy.url,
        "storage_api_endpoint": bq_emulator.grpc_target,
        "storage_api_insecure": True,
    }
    added = on_a.post(
        "/api/v1/connections", json={"name": "bq", "kind": "bigquery", "options": options}
    )
    assert added.status_code == 201, added.text

    bq_proxy.status(200, {"jobReference": LONG_JOB, "jobComplete": False}, when=query_job)
    bq_proxy.hang(when=lambda r: r.kind in WAITING)
    bq_proxy.status(
        200, {"job": {"jobReference": LONG_JOB}}, when=lambda r: r.kind == "jobs.cancel"
    )
    run = submit(on_a, "SELECT 1 AS one", connection="bq")
    bq_proxy.wait_for(lambda r: r.kind in WAITING, timeout=20)  # the worker waits for the job
    clicked = time.monotonic()
    cancelled = on_b.post(f"/api/v1/runs/{run['id']}/cancel").json()
    assert cancelled["status"] == "cancelled", cancelled
    job = f"/jobs/{LONG_JOB['jobId']}/cancel"
    bq_proxy.wait_for(lambda r: r.kind == "jobs.cancel" and r.path.endswith(job), timeout=5)
    took = time.monotonic() - clicked
    assert took < 1, f"jobs.cancel reached BigQuery {took:.2f} s after the click"
    assert run_of(on_a, run["id"])["status"] == "cancelled"
    bq_proxy.reset()  # let the hung wait go: the worker lets go of the run
    assert_settled(platform, within=10)


# -- 4. queues kept apart ----------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_a_burst_of_slow_remote_runs_does_not_delay_duckdb(
    platform: Cluster, postgres: PostgresServer
) -> None:
    (web,), _ = platform.hosts(
        ("web-a",),
        {
            "embedded": ("--queues", "embedded", "--concurrency", "2"),
            "remote": ("--queues", "remote", "--concurrency", "2"),
        },
    )
    api = admin(web)
    options = {
        "host": postgres.host,
        "port": postgres.port,
        "database": "postgres",
        "user": "postgres",
    }
    added = api.post(
        "/api/v1/connections", json={"name": "pg", "kind": "postgres", "options": options}
    )
    assert added.status_code == 201, added.text
    quick_query_succeeds(api, "SELECT 1 AS warm")  # DuckDB opened on the worker

    burst = [submit(api, f"SELECT pg_sleep(3), {n} AS n", connection="pg") for n in range(6)]
    until(lambda: status_is(api, burst[0]["id"], "running"), 10, "the burst runs")
    assert run_of(api, burst[-1]["id"])["status"] == "queued"  # the remote queue is full
    took = quick_query_succeeds(api)
    assert took < 0.5, f"a DuckDB query took {took:.2f} s behind the PostgreSQL burst"
    assert run_of(api, burst[-1]["id"])["status"] == "queued"

    for run in burst:
        ended = until(partial(status_is, api, run["id"], *FINAL), 15, "the burst ends")
        assert ended["status"] == "succeeded", ended
    assert_settled(platform, within=5)
