"""The reaper ends the runs of workers whose heartbeat is gone, leaves the living alone, and
judges no one while Redis has only just come back (every heartbeat was lost with it)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from belvedere.cluster.bus import LocalBus, Topic
from belvedere.cluster.liveness import Heartbeat
from belvedere.cluster.reaper import WORKER_LOST, Reaper
from belvedere.execution.runs import RunStatus
from belvedere.store.db import Database
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import Runs
from tests.support.servers.redis import RedisServer


@pytest.fixture
def runs(tmp_path: Path) -> Runs:
    db = Database(f"sqlite:///{tmp_path / 'meta.db'}")
    db.migrate()
    return Runs(db)


def running_on(runs: Runs, run_id: str, worker: str, started_ago: float = 30) -> None:
    now = utcnow()
    runs.add(
        QueryRun(
            id=run_id,
            user_id=None,
            actor="cli:test",
            connection_name="demo",
            surface="cli",
            sql="SELECT 1",
            status=RunStatus.RUNNING.value,
            max_rows=10,
            truncated=False,
            submitted_at=now - timedelta(seconds=started_ago),
            started_at=now - timedelta(seconds=started_ago),
            deadline_at=now + timedelta(seconds=300),
            worker=worker,
        )
    )


def settled(reaper: Reaper) -> Reaper:
    """As if Redis had answered the reaper for a while."""
    reaper._up_since = 0.0
    return reaper


def test_runs_of_a_stopped_worker_fail_and_the_living_are_left(
    runs: Runs, redis: RedisServer
) -> None:
    with redis.client() as client:
        Heartbeat(
            client, "alive:1", pool="threads", concurrency=1, queues=("embedded",), active=lambda: 1
        ).beat()
        running_on(runs, "lost", "gone:2")
        running_on(runs, "kept", "alive:1")
        running_on(runs, "fresh", "gone:2", started_ago=0)  # its worker may not have beaten yet
        bus = LocalBus()
        ended: list[object] = []
        bus.subscribe(Topic.RUN_ENDED, lambda m: ended.append(m["run"]))
        stopped: list[str] = []
        reaper = settled(Reaper(runs, client, bus, stopped.append))
        assert reaper.sweep() == ["lost"]
    lost = runs.get("lost")
    assert lost is not None
    assert (lost.status, lost.error_code, lost.error_message) == (
        "failed",
        "worker_lost",
        WORKER_LOST,
    )
    assert [runs.get(i).status for i in ("kept", "fresh")] == ["running", "running"]  # type: ignore[union-attr]
    assert ended == ["lost"]
    assert stopped == ["lost"]  # its warehouse job is stopped too


def test_no_worker_is_judged_while_redis_is_down_or_just_back(
    runs: Runs, redis: RedisServer
) -> None:
    running_on(runs, "r1", "gone:2")
    with redis.client() as client:
        reaper = Reaper(runs, client, LocalBus())
        assert reaper.sweep() == []  # Redis just seen: heartbeats may not be back yet
        redis.stop()
        assert settled(reaper).sweep() == []  # Redis away: nothing can be judged
    assert runs.get("r1").status == "running"  # type: ignore[union-attr]
