"""Runs on Celery workers, as a web server sees them: it sends each run to the queue of its
kind of engine, holds its deadline, and leaves the rest (the warehouse, the result) to the
worker. Cancels and deadlines reach the worker through the bus."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from belvedere.cluster.bus import Bus, Message, Topic
from belvedere.cluster.celery import EXECUTE_TASK, WorkQueue
from belvedere.cluster.messages import seal
from belvedere.concurrency import Pools
from belvedere.connections.handle import ConnectionHandle
from belvedere.execution.control import RunControl
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runner import QueueUnavailable
from belvedere.execution.runs import ACTIVE, RunStatus, timed_out_message
from belvedere.security.secretbox import SecretBox
from belvedere.store.models import QueryRun
from belvedere.store.runs import Runs

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)

QUEUE_DOWN = (
    "The query queue (Redis) is unreachable, so the query was not started. Try again in a moment."
)


def task_box(secret_key: bytes) -> SecretBox:
    """What seals and opens task messages (the same on every server and worker)."""
    return SecretBox(secret_key, "tasks")


class QueueRunner:
    """Sends runs to Celery workers and ends them at their deadline."""

    def __init__(self, celery: Celery, runs: Runs, bus: Bus, pools: Pools, box: SecretBox) -> None:
        """``box`` seals task messages (:mod:`belvedere.cluster.messages`)."""
        self._celery = celery
        self._box = box
        self._runs = runs
        self._bus = bus
        self._pools = pools
        self._deadlines: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        bus.subscribe(Topic.RUN_ENDED, self._ended)

    def control(self, run_id: str) -> RunControl | None:
        return None  # nothing runs here

    async def start(
        self, run: QueryRun, request: QueryRequest, handle: ConnectionHandle, timeout: float
    ) -> None:
        queue = WorkQueue.for_backend(handle.embedded)
        try:
            await self._pools.io.run(self._send, seal(run, request, self._box), queue)
        except Exception as exc:
            log.warning("could not queue run %s: %s", run.id, exc)
            await self._pools.io.run(
                self._runs.end,
                run.id,
                [RunStatus.QUEUED],
                RunStatus.FAILED,
                "queue_unavailable",
                QUEUE_DOWN,
            )
            raise QueueUnavailable(QUEUE_DOWN) from exc
        self._loop = loop = asyncio.get_running_loop()
        self._deadlines[run.id] = loop.call_later(timeout, self._deadline, run.id, timeout)

    def _send(self, message: dict[str, str], queue: WorkQueue) -> None:
        self._celery.send_task(EXECUTE_TASK, args=[message], queue=queue.routing_name, retry=False)

    def _deadline(self, run_id: str, timeout: float) -> None:
        self._deadlines.pop(run_id, None)
        task = asyncio.create_task(self._time_out(run_id, timeout))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _time_out(self, run_id: str, timeout: float) -> None:
        """The deadline passed: end the run (queued behind others, or running) and tell its
        worker to stop it; the worker's own timer does the same if this server is gone."""
        try:
            ended = await self._pools.io.run(
                self._runs.end,
                run_id,
                ACTIVE,
                RunStatus.TIMED_OUT,
                "timeout",
                timed_out_message(timeout),
            )
        except Exception:
            log.exception("ending run %s at its deadline failed", run_id)
            return
        if ended:  # on the lane: a hung Redis must not hold up the event loop
            await self._pools.io.run(self._publish_end, run_id)

    def _publish_end(self, run_id: str) -> None:
        self._bus.publish(Topic.RUN_STOP, {"run": run_id})
        self._bus.publish(Topic.RUN_ENDED, {"run": run_id})

    def _ended(self, message: Message) -> None:
        """A run ended (on a worker): its deadline here is moot."""
        handle = self._deadlines.pop(str(message.get("run")), None)
        if handle is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(handle.cancel)

    async def end(self, run_id: str, status: RunStatus, code: str, message: str) -> bool:
        return False  # never here: the execution service ends it in the store and tells the bus

    async def close(self, grace_seconds: float) -> None:
        """Runs go on on the workers; their deadlines are theirs to keep."""
        for handle in list(self._deadlines.values()):  # the bus thread pops from it
            handle.cancel()
        self._deadlines.clear()
