"""The execution service: every query, from every surface, runs through here.

Each run resolves its connection once, at submit, into a handle (settings, options, backend,
principal); gets a history record, a deadline, a cancel path that reaches the warehouse and a
row cap; and its worker (:mod:`belvedere.execution.worker`) writes an Arrow result into the
results store on the backend's lane. Results are read back, paged or exported, through here
too. The event loop only waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from belvedere.concurrency import Pools
from belvedere.connections.handle import ConnectionHandle
from belvedere.connections.service import ConnectionService, ConnectionView
from belvedere.execution.cache import ResultCache, cache_key
from belvedere.execution.control import RunControl
from belvedere.execution.formats import ExportFormat, JsonPage, export_chunks, json_page
from belvedere.execution.requests import Limits, QueryRequest
from belvedere.execution.results import ResultMissing, ResultPage, ResultsStore
from belvedere.execution.runs import ACTIVE, Actor, RunStatus
from belvedere.execution.watcher import Watcher
from belvedere.execution.worker import DeadGrant, Worker
from belvedere.sql.generate import select_all
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import RunRecord, Runs, snapshot
from belvedere.warehouses.base import CostEstimator, Params, QueryContext, Warehouse

__all__ = [
    "Estimate",
    "ExecutionService",
    "InvalidRequest",
    "ResultMissing",
    "RunNotFound",
]

log = logging.getLogger(__name__)

#: How often a waiter re-reads a run that another process is running.
POLL_SECONDS = 0.25
#: How long a dry-run estimate may take.
ESTIMATE_SECONDS = 30.0


@dataclass(frozen=True)
class Estimate:
    """What a query would process, and the cap it is held to."""

    bytes: int | None
    cap: int | None


class RunNotFound(LookupError):
    """No run of that id that the caller may see."""


class InvalidRequest(ValueError):
    """A request the service refuses before running anything; the message says why."""


class ExecutionService:
    """Submit, wait for, cancel and read runs."""

    def __init__(
        self,
        runs: Runs,
        connections: ConnectionService,
        results: ResultsStore,
        limits: Limits,
        pools: Pools,
        *,
        on_dead_grant: DeadGrant,
    ) -> None:
        """``on_dead_grant(user id, connection)`` is called (blocking, from a worker) when a run
        finds a user's grant dead: the one revoke path (``Revocation.grant``)."""
        self._runs = runs
        self._connections = connections
        self._pools = pools
        self.results = results
        self.limits = limits
        self._cache = ResultCache(runs, results)
        self._worker = Worker(runs, results, connections.backend, on_dead_grant)
        self._active: dict[str, RunControl] = {}
        self._watcher = Watcher(runs, pools, self._active)
        self._tasks: set[asyncio.Task[None]] = set()

    async def connection(self, name: str) -> ConnectionView:
        """A connection's settings: from the last few seconds' read without I/O, else read
        on the I/O lane (raises ``ConnectionNotFound``)."""
        view = self._connections.peek(name)
        return view if view is not None else await self._pools.io.run(self._connections.get, name)

    async def _resolve(self, connection: str, actor: Actor) -> ConnectionHandle:
        """The connection as ``actor`` runs on it (raises ``ConnectionNotFound``,
        ``AuthorizationRequired`` when the user must first authorize it, ``IdentityError``)."""
        return await self._pools.io.run(self._connections.resolve, connection, actor)

    async def estimate(self, connection: str, sql: str, params: Params, actor: Actor) -> Estimate:
        """A dry-run estimate where the warehouse offers one (else ``bytes`` is None)."""
        if not sql.strip():
            raise InvalidRequest("The query is empty.")

        def dry_run(warehouse: Warehouse) -> Estimate:
            cap = warehouse.byte_cap()
            if not isinstance(warehouse, CostEstimator):
                return Estimate(None, cap)
            context = QueryContext(
                user=actor.name, surface="estimate", timeout_seconds=ESTIMATE_SECONDS
            )
            try:
                return Estimate(warehouse.estimate(sql, params, context), cap)
            except Exception as exc:
                raise warehouse.translate_error(exc, sql) from exc

        handle = await self._resolve(connection, actor)
        return await asyncio.wait_for(self._connections.call(handle, dry_run), ESTIMATE_SECONDS)

    # -- submitting ----------------------------------------------------------------------
    async def submit(self, request: QueryRequest) -> QueryRun:
        """Record a run and start it; returns at once with the run ``queued``."""
        run, _ = await self.submit_or_reuse(request)
        return run

    async def submit_or_reuse(self, request: QueryRequest) -> tuple[QueryRun, bool]:
        """Like :meth:`submit`, but where the request allows a cached result, answer with the
        run that holds it (``True``: reused). A reused run may be another user's: one who
        queried as the same principal, so its rows are what this user would get. Read it
        with :meth:`page`; never hand out its id."""
        _check(request)
        handle = await self._resolve(request.connection, request.actor)
        sql = _statement(request, handle.dialect)
        timeout = self.limits.deadline_seconds(request.timeout_seconds, handle.timeout_seconds)
        cap = self.limits.export_max_rows if request.export else self.limits.max_result_rows
        max_rows = min(request.max_rows or cap, cap)
        now = utcnow()
        key = None
        if request.cache_ttl_seconds is not None:
            key = cache_key(request, handle.principal, sql, max_rows)
            if not request.force:
                since = now - timedelta(seconds=request.cache_ttl_seconds)
                if (hit := await self._pools.io.run(self._cache.find, key, since)) is not None:
                    return hit, True
        run = QueryRun(
            id=uuid.uuid4().hex,
            user_id=request.actor.user_id,
            actor=request.actor.name,
            connection_name=request.connection,
            surface=request.surface.value,
            sql=sql,
            table_ref=request.table.stored() if request.table else None,
            principal=handle.principal.name,
            status=RunStatus.QUEUED.value,
            max_rows=max_rows,
            truncated=False,
            submitted_at=now,
            deadline_at=now + timedelta(seconds=timeout),
            cache_key=key,
        )
        await self._pools.io.run(self._runs.add, run)
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
        return run, False

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
                await self._end(
                    control,
                    RunStatus.TIMED_OUT,
                    "timeout",
                    f"The query did not finish within its {timeout:g} s deadline and was stopped.",
                )
        except Exception:
            log.exception("supervising run %s failed", run.id)
        finally:
            ended.cancel()
            control.ended.set()
            self._active.pop(run.id, None)

    async def _end(self, control: RunControl, status: RunStatus, code: str, message: str) -> bool:
        """End an active run from the event loop (deadline, cancel) and stop its worker."""
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

    # -- observing and steering ----------------------------------------------------------
    async def get(self, run_id: str, actor: Actor) -> QueryRun:
        """A run the actor owns."""
        run = await self._pools.io.run(self._runs.get, run_id)
        if run is None or not _owns(actor, run):
            raise RunNotFound(run_id)
        if RunStatus(run.status) in ACTIVE and run.id not in self._active:
            run = await self._watcher.expire_if_abandoned(run)
        return run

    async def wait(self, run_id: str, actor: Actor, timeout: float) -> QueryRun:
        """A run once it has ended, or as it is after ``timeout`` seconds."""
        control = self._active.get(run_id)
        if control is not None and _owns(actor, control.run):
            # Ran here: wait for it without touching the database, unless it outlives the wait.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(control.ended.wait(), max(timeout, 0))
            if control.final is not None:
                return control.final
        run = await self.get(run_id, actor)
        loop = asyncio.get_running_loop()
        until = loop.time() + max(timeout, 0)
        while RunStatus(run.status) in ACTIVE and (left := until - loop.time()) > 0:
            await asyncio.sleep(min(POLL_SECONDS, left))  # another process runs it
            run = await self.get(run_id, actor)
        return run

    async def cancel(self, run_id: str, actor: Actor) -> QueryRun:
        """Cancel a queued or running run (a no-op on an ended one)."""
        run = await self.get(run_id, actor)
        if RunStatus(run.status) in ACTIVE:
            control = self._active.get(run_id)
            if control is not None:
                await self._end(control, RunStatus.CANCELLED, "cancelled", "Cancelled by the user.")
            else:  # running in another process: its watcher notices and stops it
                await self._pools.io.run(
                    self._runs.transition,
                    run_id,
                    ACTIVE,
                    RunStatus.CANCELLED,
                    error_code="cancelled",
                    error_message="Cancelled by the user.",
                    finished_at=utcnow(),
                )
            run = await self.get(run_id, actor)
        return run

    async def history(
        self, actor: Actor, *, limit: int, before: datetime | None, connection: str | None
    ) -> list[QueryRun]:
        """The actor's runs, newest first."""
        return await self._pools.io.run(
            lambda: self._runs.history(
                user_id=actor.user_id, limit=limit, before=before, connection=connection
            )
        )

    # -- reading results -----------------------------------------------------------------
    async def page(self, run: RunRecord, offset: int, limit: int) -> ResultPage:
        """Rows of a succeeded run's result (raises ``ResultMissing`` if evicted)."""
        return await self._pools.io.run(self.results.page, run.id, offset, limit)

    async def page_json(self, run: RunRecord, offset: int, limit: int) -> JsonPage:
        """Like :meth:`page`, the rows as JSON values with each column's type names."""

        def read() -> JsonPage:
            page = self.results.page(run.id, offset, limit)
            return json_page(page.schema, page.rows, offset, page.total_rows)

        return await self._pools.io.run(read)

    async def schema(self, run_id: str) -> pa.Schema:
        """The schema of a run's stored result (raises ``ResultMissing`` if evicted)."""
        return await self._pools.io.run(self.results.schema, run_id)

    async def export(self, run_id: str, format: ExportFormat) -> AsyncIterator[bytes]:
        """A run's whole stored result in ``format``, chunk by chunk, each read and written on
        the I/O lane. Raises ``ResultMissing`` at once if the result was evicted. The caller
        checks that it may read the run."""
        chunks = export_chunks(format, await self.schema(run_id), self.results.batches(run_id))
        return self._pools.io.iterate(chunks)

    async def close(self, grace_seconds: float = 5.0) -> None:
        """Cancel every active run and give their workers a moment to let go."""
        self._watcher.stop()
        controls = list(self._active.values())
        for control in controls:
            await self._end(control, RunStatus.CANCELLED, "server_stopped", "The server stopped.")
        loop = asyncio.get_running_loop()
        until = loop.time() + grace_seconds
        for control in controls:
            left = until - loop.time()
            if left > 0:
                await self._pools.io.run(control.worker_done.wait, left)


def _check(request: QueryRequest) -> None:
    """Refuse a request that cannot run, before anything is read."""
    if request.table is not None:
        if request.sql.strip():
            raise InvalidRequest("Give either SQL or a table to read, not both.")
    elif not request.sql.strip():
        raise InvalidRequest("The query is empty.")


def _statement(request: QueryRequest, dialect: str) -> str:
    """The SQL a run records: the request's, or the equivalent of a direct table read."""
    if request.table is not None:
        return select_all(dialect, request.table.schema, request.table.name)
    return request.sql


def _owns(actor: Actor, run: QueryRun) -> bool:
    if actor.user_id is None:
        return run.user_id is None and run.actor == actor.name
    return run.user_id == actor.user_id
