"""Runs in this process: each on its backend's lane, supervised on the event loop until the
first of its worker finishing, its end (a cancel), or its deadline."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from belvedere.concurrency import Pools
from belvedere.connections.handle import ConnectionHandle
from belvedere.execution.control import RunControl
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import ACTIVE, RunStatus, timed_out_message
from belvedere.execution.watcher import Watcher
from belvedere.execution.worker import Worker
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import Runs, snapshot

log = logging.getLogger(__name__)


class LocalRunner:
    """Starts runs on this process's lanes and stops them (the embedded default)."""

    def __init__(self, runs: Runs, pools: Pools, worker: Worker) -> None:
        self._runs = runs
        self._pools = pools
        self._worker = worker
        self._active: dict[str, RunControl] = {}
        self._watcher = Watcher(runs, pools, self._active)
        self._tasks: set[asyncio.Task[None]] = set()

    def control(self, run_id: str) -> RunControl | None:
        """The control of a run active in this process."""
        return self._active.get(run_id)

    async def start(
        self, run: QueryRun, request: QueryRequest, handle: ConnectionHandle, timeout: float
    ) -> None:
        """Queue the run on its lane and supervise it."""
        control = RunControl(run, handle.principal)
        self._active[run.id] = control
        lane = self._pools.for_backend(handle.embedded)
        owner = run.user_id if run.user_id is not None else f"actor {run.actor}"
        # Queued on the lane first, then supervised: the deadline counts from the queueing.
        # On the embedded lane the run waits its user's turn (fair share).
        work = asyncio.ensure_future(
            lane.run_for(owner, self._worker.execute, run, request, handle, control)
        )
        task = asyncio.create_task(self._supervise(run, control, work, timeout))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._watcher.ensure_running()

    async def _supervise(
        self, run: QueryRun, control: RunControl, work: asyncio.Future[None], timeout: float
    ) -> None:
        """Wait for the first of: the worker finishing, the run ended (cancel), the deadline."""
        ended: asyncio.Future[Any] = asyncio.ensure_future(control.ended.wait())
        try:
            done, _ = await asyncio.wait(
                {work, ended}, timeout=timeout, return_when="FIRST_COMPLETED"
            )
            if not done:
                await self.end(
                    run.id,
                    RunStatus.TIMED_OUT,
                    "timeout",
                    timed_out_message(timeout),
                )
        except Exception:
            log.exception("supervising run %s failed", run.id)
        finally:
            ended.cancel()
            control.ended.set()
            self._active.pop(run.id, None)

    async def end(self, run_id: str, status: RunStatus, code: str, message: str) -> bool:
        """End a run active in this process (deadline, cancel) and stop its worker; ``False``
        if it is not active here, or had ended."""
        control = self._active.get(run_id)
        if control is None:
            return False
        fields = {"error_code": code, "error_message": message, "finished_at": utcnow()}
        ended = await self._pools.io.run(
            self._runs.transition, control.run.id, ACTIVE, status, **fields
        )
        if ended:
            control.request_stop()
            started = {"started_at": control.started_at} if control.started_at else {}
            control.finish(snapshot(control.run, status=status.value, **started, **fields))
            control.ended.set()
            self._pools.cancel.submit(control.stop)  # talks to the warehouse; nobody waits
        return ended

    async def close(self, grace_seconds: float) -> None:
        """Cancel every active run and give their workers a moment to let go."""
        self._watcher.stop()
        controls = list(self._active.values())
        for control in controls:
            await self.end(
                control.run.id, RunStatus.CANCELLED, "server_stopped", "The server stopped."
            )
        loop = asyncio.get_running_loop()
        until = loop.time() + grace_seconds
        for control in controls:
            left = until - loop.time()
            if left > 0:
                await self._pools.io.run(control.worker_done.wait, left)
