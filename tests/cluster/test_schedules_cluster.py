"""Schedules on a cluster: two web servers and two Celery workers (OS processes) on one
PostgreSQL metadata store and one Redis, mailing an SMTP server on loopback.

Ticks are produced by "Celery beat or an equivalent": Belvedere's equivalent is every web
server's ticker (:mod:`belvedere.schedules.ticker`) with the metadata store's claim, unique
per schedule and tick. Every server looks for due schedules; the one whose claim is stored
delivers the tick, and the report's queries run on the Celery workers like any other run.
No process is special: any server may stop, and the others go on ticking."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest

from tests.support.delivery import Received, mail_server
from tests.support.servers.cluster import ADMIN_PASSWORD, Cluster, Process, cluster
from tests.support.servers.postgres import PostgresServer
from tests.support.servers.redis import redis_server
from tests.support.web.client import signed_in

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

T = TypeVar("T")
TICK_SECONDS = 0.2
"""Each server looks for due schedules this often: often, so that both race for each tick."""
QUIET_SECONDS = 1.0
"""How long nothing may change (several ticks of each server) before deliveries are over."""
HOURLY = "0 * * * *"
EVERY_MINUTE = "* * * * *"
REPORTS = 12
TEAM = "team@example.com"
SQL = "SELECT 42 AS answer"
WAREHOUSE = {"name": "scratch", "kind": "duckdb", "options": {"path": ":memory:"}}
"""DuckDB in memory: its runs go to the workers' ``embedded`` queue."""


@dataclass
class Store:
    """The metadata store, read and written as SQL (what the servers share)."""

    url: str

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, *params: Any) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql, params)

    def deliveries(self, schedule_ids: list[int]) -> list[tuple[int, datetime, str, list[str]]]:
        """``(schedule, due_at, status, run_ids)`` of the schedules' finished deliveries."""
        return [
            (row[0], row[1], row[2], list(row[3]))
            for row in self.rows(
                "SELECT schedule_id, due_at, status, run_ids FROM schedule_deliveries"
                " WHERE schedule_id = ANY(%s) AND finished_at IS NOT NULL ORDER BY id",
                schedule_ids,
            )
        ]

    def under_way(self, schedule_ids: list[int]) -> int:
        """Scheduled runs not ended plus deliveries not finished."""
        [(runs,)] = self.rows(
            "SELECT count(*) FROM query_runs"
            " WHERE surface = 'schedule' AND status IN ('queued', 'running')"
        )
        [(sending,)] = self.rows(
            "SELECT count(*) FROM schedule_deliveries"
            " WHERE schedule_id = ANY(%s) AND finished_at IS NULL",
            schedule_ids,
        )
        return int(runs) + int(sending)

    def make_due(self, schedule_ids: list[int], since: datetime) -> None:
        """Set the schedules active, waiting for a tick at ``since`` (in the past)."""
        self.execute(
            "UPDATE schedules SET active = true, next_run_at = %s WHERE id = ANY(%s)",
            since,
            schedule_ids,
        )

    def next_runs(self, schedule_ids: list[int]) -> list[datetime]:
        return [
            row[0]
            for row in self.rows(
                "SELECT next_run_at FROM schedules WHERE id = ANY(%s)", schedule_ids
            )
        ]


@dataclass
class Hosts:
    """The running cluster, its store and the SMTP server's inbox."""

    platform: Cluster
    store: Store
    inbox: list[Received]
    webs: list[Process]
    workers: set[str]
    """The Celery workers' names (``host:pid:nonce``), as runs record them."""

    def admin(self) -> httpx.Client:
        url = self.webs[0].url
        assert url
        return signed_in(url, "admin", ADMIN_PASSWORD)

    def messages(self, subjects: set[str]) -> Counter[str]:
        """How many messages arrived of each subject."""
        return Counter(
            str(m.message["Subject"]) for m in list(self.inbox) if m.message["Subject"] in subjects
        )


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer) -> Iterator[Hosts]:
    """Two web servers (ticking every :data:`TICK_SECONDS`) and two workers, once for the
    module: they take most of its time to start."""
    root: Path = tmp_path_factory.mktemp("schedules-cluster")
    database = f"t_{uuid.uuid4().hex[:12]}"
    postgres.create_database(database)
    url = postgres.url(database)
    with (
        mail_server() as (smtp_port, inbox),
        redis_server(root / "redis") as redis,
        cluster(root / "hosts", redis, url, redis.url(1)) as platform,
    ):
        platform.settings.update(
            BELVEDERE_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
            BELVEDERE_SMTP_FROM="Belvedere <reports@example.com>",
            BELVEDERE_SCHEDULE_TICK_SECONDS=str(TICK_SECONDS),
            BELVEDERE_SCHEDULE_RETRY_SECONDS="",
            BELVEDERE_DEMO="false",  # its generation would hold up the servers' start
        )
        only_embedded = ("--queues", "embedded", "--concurrency", "2")
        webs, _ = platform.hosts(
            ("web-a", "web-b"), {"worker-1": only_embedded, "worker-2": only_embedded}
        )
        workers = platform.workers_alive()
        assert len(workers) == 2, workers
        store = Store(url.replace("postgresql+psycopg://", "postgresql://", 1))
        running = Hosts(platform, store, inbox, webs, workers)
        added = running.admin().post("/api/v1/connections", json=WAREHOUSE)
        assert added.status_code == 201, added.text
        yield running


def poll(check: Callable[[], T | None], seconds: float, what: str) -> T:
    """``check()``'s first truthy answer, asked until ``seconds`` have passed."""
    until = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > until:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)


def settled(
    hosts: Hosts, schedules: dict[int, str], seconds: float = 30.0
) -> list[tuple[int, datetime, str, list[str]]]:
    """The schedules' deliveries once they are over: each schedule delivered, nothing under
    way, a message for each sent delivery, and no change for :data:`QUIET_SECONDS` (a tick
    delivered twice would show within it)."""
    ids, subjects = list(schedules), set(schedules.values())
    until = time.monotonic() + seconds
    seen: tuple[Any, ...] | None = None
    quiet_since = time.monotonic()
    while True:
        found = hosts.store.deliveries(ids)
        sent = sum(1 for _, _, status, _ in found if status == "sent")
        now = (found, hosts.messages(subjects), hosts.store.under_way(ids))
        if now != seen:
            seen, quiet_since = now, time.monotonic()
        done = {d[0] for d in found} == set(ids) and now[2] == 0 and now[1].total() == sent
        if done and time.monotonic() - quiet_since >= QUIET_SECONDS:
            return found
        if time.monotonic() > until:
            raise AssertionError(f"deliveries not over within {seconds} s: {now}")
        time.sleep(0.05)


def assert_each_tick_delivered_once(
    hosts: Hosts, schedules: dict[int, str], found: list[tuple[int, datetime, str, list[str]]]
) -> list[tuple[int, datetime]]:
    """Every delivery sent, one per schedule and tick, and one message per tick; the ticks."""
    assert {status for _, _, status, _ in found} == {"sent"}, found
    ticks = Counter((schedule, due_at) for schedule, due_at, _, _ in found)
    doubled = {tick: count for tick, count in ticks.items() if count > 1}
    assert not doubled, f"ticks delivered more than once: {doubled}"
    per_schedule = Counter(schedule for schedule, _ in ticks)
    expected = Counter({schedules[s]: n for s, n in per_schedule.items()})
    assert hosts.messages(set(schedules.values())) == expected
    return sorted(ticks)


def test_two_servers_and_two_workers_deliver_each_tick_once(hosts: Hosts) -> None:
    client = hosts.admin()
    saved = client.post(
        "/api/v1/saved-queries", json={"connection": "scratch", "name": "Answer", "sql": SQL}
    )
    assert saved.status_code == 201, saved.text
    schedules: dict[int, str] = {}
    for n in range(REPORTS):
        name = f"Hourly answer {n}"
        target = {"kind": "saved_query", "id": saved.json()["id"]}
        body = {"name": name, "target": target, "cron": HOURLY, "recipients": [TEAM]}
        created = client.post("/api/v1/schedules", json=body)
        assert created.status_code == 201, created.text
        schedules[int(created.json()["id"])] = name
    ids = list(schedules)
    this_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    # All fall due at once; both servers see them within a tick and race for each.
    hosts.store.make_due(ids, this_hour)
    found = settled(hosts, schedules)
    ticks = assert_each_tick_delivered_once(hosts, schedules, found)
    assert all(due_at >= this_hour for _, due_at in ticks), ticks

    # Each server finds them due again, the same tick: its claim is taken, none is resent.
    hosts.store.make_due(ids, this_hour)
    poll(
        lambda: all(t > this_hour for t in hosts.store.next_runs(ids)),
        10,
        "the servers move the schedules to their next tick",
    )
    again = settled(hosts, schedules)
    assert assert_each_tick_delivered_once(hosts, schedules, again) == ticks

    run_ids = [run for _, _, _, runs in again for run in runs]
    assert len(run_ids) == len(again)
    ran_on = hosts.store.rows(
        "SELECT id, surface, worker FROM query_runs WHERE id = ANY(%s)", run_ids
    )
    assert len(ran_on) == len(run_ids)
    assert {surface for _, surface, _ in ran_on} == {"schedule"}
    strays = [(run, worker) for run, _, worker in ran_on if worker not in hosts.workers]
    assert not strays, f"runs not on a Celery worker ({hosts.workers}): {strays}"


def test_ticks_missed_while_every_server_was_down_run_once_on_return(hosts: Hosts) -> None:
    client = hosts.admin()
    saved = client.post(
        "/api/v1/saved-queries", json={"connection": "scratch", "name": "Missed", "sql": SQL}
    )
    assert saved.status_code == 201, saved.text
    name = "Every minute"
    body = {
        "name": name,
        "target": {"kind": "saved_query", "id": saved.json()["id"]},
        "cron": EVERY_MINUTE,
        "recipients": [TEAM],
        "active": False,  # until every server is down
    }
    created = client.post("/api/v1/schedules", json=body)
    assert created.status_code == 201, created.text
    schedules = {int(created.json()["id"]): name}
    for web in hosts.webs:
        web.process.terminate()
    for web in hosts.webs:
        web.stop()

    # Down for ten minutes, as far as the schedule knows: ten ticks missed.
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    hosts.store.make_due(list(schedules), minute - timedelta(minutes=10))
    hosts.webs = hosts.platform.webs("web-a-back", "web-b-back")
    back = datetime.now(UTC).replace(second=0, microsecond=0)

    ticks = assert_each_tick_delivered_once(hosts, schedules, settled(hosts, schedules))
    due = [due_at for _, due_at in ticks]
    # The latest tick due when they came back, once; none of the ten before it. (Ticks
    # after it, a minute apart, are new ones if a minute turned meanwhile.)
    assert minute <= due[0] <= back, due
    assert due == [due[0] + timedelta(minutes=n) for n in range(len(due))], due
    [next_run] = hosts.store.next_runs(list(schedules))
    assert next_run > due[-1]
