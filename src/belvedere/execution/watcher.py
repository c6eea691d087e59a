"""Runs ended elsewhere, and runs abandoned: what a process learns from the shared store.

A cancel that reaches another server process ends the run in the store only; the process
running it notices here and stops it. A run left active by a stopped server is ended
``failed`` once its deadline is well past.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from belvedere.concurrency import Pools
from belvedere.execution.control import RunControl
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import Runs

log = logging.getLogger(__name__)

#: How often a process looks for its active runs ended by another (a cancel elsewhere).
ELSEWHERE_POLL_SECONDS = 0.5
#: How long past its deadline a run may stay active before it is presumed abandoned.
ABANDON_GRACE = timedelta(seconds=60)
ABANDONED_MESSAGE = "The server stopped before this query finished."


class Watcher:
    """Watches the active runs of this process (``active``: run id -> control)."""

    def __init__(self, runs: Runs, pools: Pools, active: dict[str, RunControl]) -> None:
        self._runs = runs
        self._pools = pools
        self._active = active
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        """Start watching, unless already (from the event loop, once a run is active)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch())

    def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()

    async def _watch(self) -> None:
        """While this process has active runs, stop those that another process ended, as a
        local cancel would: the worker is told, the warehouse query cancelled, waiters
        answered."""
        while self._active:
            await asyncio.sleep(ELSEWHERE_POLL_SECONDS)
            ids = list(self._active)
            if not ids:
                break
            try:
                ended = await self._pools.io.run(self._runs.ended_among, ids)
            except Exception:
                log.exception("checking for runs ended elsewhere failed")
                continue
            for run in ended:
                control = self._active.get(run.id)
                if control is None or control.final is not None:
                    continue  # ended here meanwhile
                control.request_stop()
                control.finish(run)
                control.ended.set()
                self._pools.cancel.submit(control.stop)


async def expire_if_abandoned(runs: Runs, pools: Pools, run: QueryRun) -> QueryRun:
    """``run`` (active, not in this process) as it is once ended ``failed`` if its deadline is
    well past: no process is left to end it."""
    now = utcnow()
    if run.deadline_at + ABANDON_GRACE < now:
        await pools.io.run(runs.expire_overdue, now - ABANDON_GRACE, ABANDONED_MESSAGE)
        refreshed = await pools.io.run(runs.get, run.id)
        run = refreshed or run
    return run
