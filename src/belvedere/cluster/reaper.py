"""Ends the runs that no one is left to end: those of a worker that stopped (its heartbeat
expired), and those still active well past their deadline (a message lost with Redis, a
server and a worker both gone). Every worker and every web server sweeps; the run's
compare-and-set makes them agree."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

import redis

from belvedere.cluster.bus import Bus, Topic
from belvedere.cluster.liveness import BEAT_SECONDS, EXPIRES_SECONDS, alive
from belvedere.execution.runs import RunStatus
from belvedere.store.models import utcnow
from belvedere.store.runs import Runs

log = logging.getLogger(__name__)

#: How often a process sweeps.
SWEEP_SECONDS = 2.0
WORKER_LOST = "The worker running this query stopped before it finished; run it again."
OVERDUE = "No worker finished or stopped this query by its deadline; run it again."
#: How long past its deadline an active run is presumed lost (its own timers end it at once).
OVERDUE_GRACE = timedelta(seconds=10)


class Reaper:
    """One sweep at a time (blocking); keeps what it learnt of Redis between sweeps."""

    def __init__(
        self,
        runs: Runs,
        client: redis.Redis,
        bus: Bus,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        """``on_lost(run id)`` is called for each run this process ends as lost (to stop its
        warehouse job: :class:`~belvedere.cluster.orphans.OrphanStopper`)."""
        self._runs = runs
        self._client = client
        self._bus = bus
        self._on_lost = on_lost
        self._up_since: float | None = None

    def sweep(self) -> list[str]:
        """End the runs of stopped workers and the long-overdue ones; the ids of the former."""
        now = utcnow()
        self._runs.expire_overdue(now - OVERDUE_GRACE, OVERDUE)
        try:
            self._client.ping()
        except redis.RedisError:
            self._up_since = None  # heartbeats cannot be read: judge no worker
            return []
        if self._up_since is None:
            self._up_since = time.monotonic()
        if time.monotonic() - self._up_since < EXPIRES_SECONDS + BEAT_SECONDS:
            return []  # Redis just came back (empty?): give workers time to beat again
        running = self._runs.running_on_workers()
        try:
            living = alive(self._client, sorted({worker for _, worker, _ in running}))
        except redis.RedisError:
            return []
        settled = now - timedelta(seconds=EXPIRES_SECONDS)
        lost = []
        for run_id, worker, started in running:
            if worker in living or started is None or started > settled:
                continue
            if self._runs.end(
                run_id, [RunStatus.RUNNING], RunStatus.FAILED, "worker_lost", WORKER_LOST
            ):
                log.warning("run %s failed: its worker %s stopped", run_id, worker)
                self._bus.publish(Topic.RUN_ENDED, {"run": run_id})
                lost.append(run_id)
                if self._on_lost is not None:
                    self._on_lost(run_id)
        return lost
