"""Chores a server does at start and from time to time, on the io lane: deleting expired
sign-in sessions, results past their time to live, and runs and audit events past the audit
retention; telling budgets that reached 80% or 100% (:mod:`belvedere.costs.alerts`);
giving memory freed by a burst of work back to the system once idle; with a
broker, ending the runs of workers that stopped (:mod:`belvedere.cluster.reaper`); and
delivering the schedules that are due (:mod:`belvedere.schedules.ticker`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from belvedere.audit import retention
from belvedere.concurrency import Lane, Pools
from belvedere.native_memory import MemoryRelease
from belvedere.schedules import ticker
from belvedere.services import Services
from belvedere.store.models import utcnow
from belvedere.store.sessions import Sessions

log = logging.getLogger(__name__)

#: How often expired sessions are deleted.
SESSIONS_EVERY = timedelta(hours=1)
#: How often results past their time to live are deleted (shared results stores).
RESULTS_EVERY = timedelta(hours=1)
#: How often old schedule ticks, deliveries and chart links are dropped, and how long a tick's
#: claim is kept (long past any tick that could still be claimed).
SCHEDULES_EVERY = timedelta(hours=1)
TICKS_KEPT = timedelta(days=7)
#: How often memory freed by past work may be given back to the system (when idle).
RELEASE_EVERY = timedelta(seconds=2)


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


def prune_schedules(services: Services) -> int:
    """Drop expired chart links of webhook reports, tick claims past :data:`TICKS_KEPT` and
    deliveries past the audit retention; how many went."""
    now = utcnow()
    kept = timedelta(days=services.settings.audit_retention_days)
    pruned = services.schedules.repository.prune(now - TICKS_KEPT, now - kept)
    return pruned + services.schedule_images.sweep()


def idle(pools: Pools) -> bool:
    """Whether no query, rendering or search runs now (the chore asking is on ``io``)."""
    return not (pools.remote.busy or pools.embedded.busy or pools.cpu.busy)


def start(services: Services) -> list[asyncio.Task[None]]:
    """Start every chore as a task of the running loop (cancel them at shutdown)."""
    io, keep_days = services.pools.io, services.settings.audit_retention_days
    chores = [
        repeat(io, SESSIONS_EVERY, lambda: purge_sessions(services.sessions), "session purge"),
        repeat(io, RESULTS_EVERY, services.results.sweep, "results sweep"),
        repeat(
            io,
            retention.EVERY,
            lambda: retention.expire_records(services.audit, keep_days),
            "retention purge",
        ),
        repeat(io, RELEASE_EVERY, MemoryRelease(lambda: idle(services.pools)), "memory release"),
        repeat(io, SCHEDULES_EVERY, lambda: prune_schedules(services), "schedules prune"),
        repeat(
            io,
            timedelta(seconds=services.settings.budget_alert_seconds),
            services.budget_alerts.sweep,
            "budget alerts",
        ),
        repeat(
            io,
            SCHEDULES_EVERY,
            lambda: services.budget_alerts.prune(keep_days),
            "budget notices prune",
        ),
    ]
    if services.broker is not None:  # imported here: a server without a broker needs no redis
        from belvedere.cluster.orphans import OrphanStopper
        from belvedere.cluster.reaper import SWEEP_SECONDS, Reaper

        stopper = OrphanStopper(services.runs, services.users, services.connections)
        reaper = Reaper(services.runs, services.broker, services.bus, stopper)
        every = timedelta(seconds=SWEEP_SECONDS)
        chores.append(repeat(io, every, reaper.sweep, "sweep of runs of stopped workers"))
    tasks = [asyncio.create_task(chore) for chore in chores]
    tasks.append(ticker.start(services))  # schedules: repository calls on io, sends bounded
    return tasks
