"""Chores a server does at start and from time to time, on the io lane: deleting expired
sign-in sessions, results past their time to live and runs past the audit retention; with a
broker, ending the runs of workers that stopped (:mod:`belvedere.cluster.reaper`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from belvedere.audit import retention
from belvedere.cluster.orphans import OrphanStopper
from belvedere.cluster.reaper import SWEEP_SECONDS, Reaper
from belvedere.concurrency import Lane
from belvedere.services import Services
from belvedere.store.sessions import Sessions

log = logging.getLogger(__name__)

#: How often expired sessions are deleted.
SESSIONS_EVERY = timedelta(hours=1)
#: How often results past their time to live are deleted (shared results stores).
RESULTS_EVERY = timedelta(hours=1)


async def repeat(lane: Lane, every: timedelta, chore: Callable[[], object], name: str) -> None:
    """Run ``chore`` on ``lane`` now, then every ``every``, until cancelled; a failure is
    logged and tried again next time."""
    while True:
        try:
            await lane.run(chore)
        except Exception:
            log.exception("%s failed; it will be tried again", name)
        await asyncio.sleep(every.total_seconds())


def purge_sessions(sessions: Sessions) -> int:
    """Delete expired sessions (blocking); how many there were."""
    purged = sessions.purge_expired()
    if purged:
        log.info("deleted %d expired sessions", purged)
    return purged


def start(services: Services) -> list[asyncio.Task[None]]:
    """Start every chore as a task of the running loop (cancel them at shutdown)."""
    io, keep_days = services.pools.io, services.settings.audit_retention_days
    chores = [
        repeat(io, SESSIONS_EVERY, lambda: purge_sessions(services.sessions), "session purge"),
        repeat(io, RESULTS_EVERY, services.results.sweep, "results sweep"),
        repeat(
            io,
            retention.EVERY,
            lambda: retention.expire_runs(services.audit, keep_days),
            "retention purge",
        ),
    ]
    if services.broker is not None:
        stopper = OrphanStopper(services.runs, services.users, services.connections)
        reaper = Reaper(services.runs, services.broker, services.bus, stopper)
        every = timedelta(seconds=SWEEP_SECONDS)
        chores.append(repeat(io, every, reaper.sweep, "sweep of runs of stopped workers"))
    return [asyncio.create_task(chore) for chore in chores]
