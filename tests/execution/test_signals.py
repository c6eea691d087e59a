"""Waiters woken by ``run.ended``: a message carrying a run that has not ended, another run,
or a run not sealed with the installation's key (written into Redis by someone else) is not
taken for the ended run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from belvedere.cluster.bus import LocalBus, Topic
from belvedere.cluster.dispatch import task_box
from belvedere.execution.signals import RunSignals
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import run_to_json


def _run(run_id: str, status: str) -> QueryRun:
    now = utcnow()
    return QueryRun(
        id=run_id,
        user_id=1,
        actor="alice",
        connection_name="demo",
        surface="api",
        sql="select 1",
        principal="connection",
        status=status,
        max_rows=10,
        truncated=False,
        submitted_at=now,
        deadline_at=now + timedelta(seconds=30),
    )


def test_waiter_takes_only_an_ended_run_of_its_own_id() -> None:
    async def scenario() -> list[object]:
        bus = LocalBus()
        box, forger = task_box(b"k" * 48), task_box(b"f" * 48)
        signals = RunSignals(bus, box)
        finals: list[object] = []
        for sealed in (
            box.seal(run_to_json(_run("r1", "running"))),  # not ended: read the store instead
            box.seal(run_to_json(_run("other", "succeeded"))),  # another run
            box.seal({"id": "r1"}),  # malformed
            forger.seal(run_to_json(_run("r1", "succeeded"))),  # forged
            box.seal(run_to_json(_run("r1", "succeeded"))),
        ):
            with signals.watching("r1") as waiter:
                bus.publish(Topic.RUN_ENDED, {"run": "r1", "sealed": sealed.decode()})
                await asyncio.wait_for(waiter.event.wait(), 2.0)
                finals.append(waiter.final and waiter.final.status)
        return finals

    assert asyncio.run(scenario()) == [None, None, None, None, "succeeded"]
