"""The execution service: every query, from every surface, runs through here.

Each run gets a history record, a deadline, a cancel path that reaches the warehouse, a row
cap, and an Arrow result in the results store. Blocking work runs on bounded pools: warehouse
calls on the embedded pool (engines in this process, CPU-bound, at lower priority) or the
remote pool (warehouses over the network, mostly waiting); metadata and result files on the
I/O pool. The event loop only waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from belvedere.connections.service import ConnectionService, ConnectionView
from belvedere.execution.control import RunControl
from belvedere.concurrency.fairpool import FairPool
from belvedere.execution.requests import Limits, QueryRequest
from belvedere.execution.results import ResultPage, ResultsStore
from belvedere.execution.runs import ACTIVE, Actor, RunStatus
from belvedere.identity.principal import Principal
from belvedere.identity.service import IdentityService
from belvedere.sql.generate import select_all
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import Runs, snapshot
from belvedere.units import human_bytes
from belvedere.warehouses.base import (
    CostEstimator,
    Params,
    Query,
    QueryContext,
    ReportsCost,
    TableReader,
    Warehouse,
)
from belvedere.warehouses.errors import ErrorKind, WarehouseError
from belvedere.warehouses.registry import backend_class

log = logging.getLogger(__name__)


async def run_in_pool(
    pool: Executor, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Temporary: replaced by the lanes of belvedere.concurrency.Pools."""
    return await asyncio.wrap_future(pool.submit(func, *args, **kwargs))


P = ParamSpec("P")
T = TypeVar("T")

#: How often a waiter re-reads a run that another process is running.
POLL_SECONDS = 0.25
#: How long past its deadline a run may stay active before it is presumed abandoned.
ABANDON_GRACE = timedelta(seconds=60)
INTERNAL_ERROR = "Belvedere failed to run the query; the server log has details."
#: How often a process looks for its active runs ended by another (a cancel elsewhere).
ELSEWHERE_POLL_SECONDS = 0.5
#: How long past a run's deadline the backend's own timeouts fire.
BACKSTOP_SECONDS = 1.0
#: Niceness of embedded-engine threads, so the event loop wins the CPU when it needs it.
EMBEDDED_NICENESS = 10


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


def _lower_priority() -> None:
    # Linux applies niceness per thread; threads the engine starts from here inherit it.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, 0, EMBEDDED_NICENESS)


class ExecutionService:
    """Submit, wait for, cancel and read runs."""

    def __init__(
        self,
        runs: Runs,
        connections: ConnectionService,
        identity: IdentityService,
        results: ResultsStore,
        limits: Limits,
        *,
        remote_threads: int,
        embedded_threads: int,
        io_threads: int = 8,
    ) -> None:
        self._runs = runs
        self._connections = connections
        self._identity = identity
        self.results = results
        self.limits = limits
        self._remote_threads = remote_threads
        self._remote_pool = ThreadPoolExecutor(
            remote_threads, thread_name_prefix="belvedere-remote"
        )
        self._embedded_pool = FairPool(  # one user's runs take at most half its threads
            embedded_threads,
            per_key=max(1, embedded_threads // 2),
            thread_name_prefix="belvedere-embedded",
            initializer=_lower_priority,
        )
        self._io_pool = ThreadPoolExecutor(io_threads, thread_name_prefix="belvedere-io")
        self._cancel_pool = ThreadPoolExecutor(16, thread_name_prefix="belvedere-cancel")
        self._active: dict[str, RunControl] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._watcher: asyncio.Task[None] | None = None

    def start_threads(self) -> None:
        """Start the remote pool's threads now (at server start), not while a burst of runs
        arrives: a pool starts each new thread from the submitting thread, the event loop."""
        gate = threading.Event()
        for _ in range(self._remote_threads):
            self._remote_pool.submit(gate.wait, 5.0)
        gate.set()

    async def io(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking metadata or file call on the I/O pool."""
        return await run_in_pool(self._io_pool, func, *args, **kwargs)

    def _pool(self, kind: str) -> Executor:
        return self._embedded_pool if backend_class(kind).embedded else self._remote_pool

    async def connection(self, name: str) -> ConnectionView:
        """A connection's settings: from the last few seconds' read without I/O, else read
        on the I/O pool (raises ``ConnectionNotFound``)."""
        view = self._connections.peek(name)
        return view if view is not None else await self.io(self._connections.get, name)

    async def principal(self, actor: Actor, connection: str) -> Principal:
        """Who ``actor`` queries ``connection`` as (raises ``AuthorizationRequired`` when the
        user must first authorize it)."""
        handle = await self.io(self._connections.resolve, connection, actor)
        return handle.principal

    async def on_warehouse(
        self, connection: str, principal: Principal, func: Callable[[Warehouse], T]
    ) -> T:
        """Call a blocking function of a connection's backend, for an identity, on the
        backend's pool."""
        view = await self.connection(connection)
        return await run_in_pool(
            self._pool(view.kind),
            lambda: func(self._connections.warehouse(connection, principal)),
        )

    async def on_pool_of(self, kind: str, func: Callable[[], T]) -> T:
        """Call a blocking function on the pool of a kind of backend (unsaved connections)."""
        return await run_in_pool(self._pool(kind), func)

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

        principal = await self.principal(actor, connection)
        return await asyncio.wait_for(
            self.on_warehouse(connection, principal, dry_run), ESTIMATE_SECONDS
        )

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
        connection = await self.connection(request.connection)
        sql = _statement(request, backend_class(connection.kind).quirks.dialect)
        principal = await self.principal(request.actor, request.connection)
        timeout = self.limits.deadline_seconds(request.timeout_seconds, connection.timeout_seconds)
        cap = self.limits.export_max_rows if request.export else self.limits.max_result_rows
        max_rows = min(request.max_rows or cap, cap)
        now = utcnow()
        key = None
        if request.cache_ttl_seconds is not None:
            key = _cache_key(request, principal, sql, max_rows)
            if not request.force:
                since = now - timedelta(seconds=request.cache_ttl_seconds)
                if (hit := await self.io(self._cached, key, since)) is not None:
                    return hit, True
        run = QueryRun(
            id=uuid.uuid4().hex,
            user_id=request.actor.user_id,
            actor=request.actor.name,
            connection_name=request.connection,
            surface=request.surface.value,
            sql=sql,
            table_ref=request.table.stored() if request.table else None,
            principal=principal.name,
            status=RunStatus.QUEUED.value,
            max_rows=max_rows,
            truncated=False,
            submitted_at=now,
            deadline_at=now + timedelta(seconds=timeout),
            cache_key=key,
        )
        await self.io(self._runs.add, run)
        control = RunControl(run, principal)
        self._active[run.id] = control
        pool = self._pool(connection.kind)
        task = asyncio.create_task(self._supervise(run, request, control, timeout, pool))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch_elsewhere())
        return run, False

    async def _watch_elsewhere(self) -> None:
        """While this process has active runs, stop those that another process ended (a
        cancel that reached another server process, or an operator's), as a local cancel
        would: the worker is told, the warehouse query cancelled, waiters answered."""
        while self._active:
            await asyncio.sleep(ELSEWHERE_POLL_SECONDS)
            ids = list(self._active)
            if not ids:
                break
            try:
                ended = await self.io(self._runs.ended_among, ids)
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
                self._cancel_pool.submit(control.stop)

    def _cached(self, key: str, since: datetime) -> QueryRun | None:
        run = self._runs.cached(key, since)
        return run if run is not None and self.results.exists(run.id) else None

    async def _supervise(
        self,
        run: QueryRun,
        request: QueryRequest,
        control: RunControl,
        timeout: float,
        pool: Executor,
    ) -> None:
        work: asyncio.Future[Any]
        if isinstance(pool, FairPool):  # shared fairly: the run waits its user's turn
            owner = run.user_id if run.user_id is not None else f"actor {run.actor}"
            work = asyncio.wrap_future(pool.submit_for(owner, self._execute, run, request, control))
        else:
            loop = asyncio.get_running_loop()
            work = loop.run_in_executor(pool, self._execute, run, request, control)
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
        ended = await self.io(self._runs.transition, control.run.id, ACTIVE, status, **fields)
        if ended:
            control.request_stop()
            started = {"started_at": control.started_at} if control.started_at else {}
            control.finish(snapshot(control.run, status=status.value, **started, **fields))
            control.ended.set()
            self._cancel_pool.submit(control.stop)  # talks to the warehouse; nobody waits
        return ended

    def _execute(self, run: QueryRun, request: QueryRequest, control: RunControl) -> None:
        """The worker: runs on a query pool and ends the run unless someone else did."""
        try:
            self._execute_once(run, request, control)
        finally:
            control.worker_done.set()

    def _execute_once(self, run: QueryRun, request: QueryRequest, control: RunControl) -> None:
        started = utcnow()
        if not self._runs.transition(
            run.id, [RunStatus.QUEUED], RunStatus.RUNNING, started_at=started
        ):
            return
        control.started_at = started
        status = RunStatus.FAILED
        fields: dict[str, Any] = {}  # what the run cost is kept, whatever the outcome
        try:
            self._fetch(run, request, control, fields)
        except WarehouseError as exc:
            fields.update(error_code=exc.kind.value, error_message=exc.message)
            fields.update(error_line=exc.line, error_column=exc.column)
        except Exception:
            log.exception("run %s failed unexpectedly", run.id)
            fields.update(error_code="internal_error", error_message=INTERNAL_ERROR)
        else:
            status = RunStatus.SUCCEEDED
        if fields.get("error_code") == ErrorKind.AUTHORIZATION.value and run.user_id is not None:
            # The user's grant is dead: forget it, so that they are asked to authorize again.
            self._identity.vault.delete(run.user_id, run.connection_name)
            self._connections.forget_identity(run.connection_name, control.principal.key)
            self._runs.uncache(user_id=run.user_id, connection=run.connection_name)
        fields["finished_at"] = utcnow()
        if self._runs.transition(run.id, [RunStatus.RUNNING], status, **fields):
            control.finish(snapshot(run, status=status.value, started_at=started, **fields))
        elif status is RunStatus.SUCCEEDED:
            self.results.delete(run.id)  # ended meanwhile (deadline, cancel): drop the result

    def _fetch(
        self, run: QueryRun, request: QueryRequest, control: RunControl, recorded: dict[str, Any]
    ) -> None:
        """Run the query into the results store, noting in ``recorded`` how it went."""
        warehouse = self._connections.warehouse(request.connection, control.principal)
        context = QueryContext(
            run_id=run.id,
            user=run.actor,
            surface=run.surface,
            max_bytes_billed=warehouse.byte_cap(),
            # The backend's own timeouts are a backstop a little past the deadline, so that the
            # supervisor ends the run first, as timed out, and cancels it in the warehouse.
            timeout_seconds=max((run.deadline_at - utcnow()).total_seconds(), 0.0)
            + BACKSTOP_SECONDS,
            stopped=lambda: control.stop_requested,
        )
        try:
            if request.table is None:
                self._guard_cost(warehouse, request, context, recorded)
            query = _prepare(warehouse, request, run, context)
        except Exception as exc:
            raise warehouse.translate_error(exc, run.sql) from exc
        control.attach(query)
        try:
            try:
                if control.stop_requested:
                    raise WarehouseError(ErrorKind.CANCELLED, "stopped before it started")
                reader = query.run()
                writer = self.results.writer(run.id, reader.schema)
            except Exception as exc:
                raise warehouse.translate_error(exc, run.sql) from exc
            truncated = False
            try:
                for batch in reader:
                    if control.stop_requested:
                        raise WarehouseError(ErrorKind.CANCELLED, "stopped")
                    room = run.max_rows - writer.rows
                    if batch.num_rows > room:
                        writer.write(batch.slice(0, room))
                        truncated = True
                        break
                    writer.write(batch)
                size = writer.commit()
            except Exception as exc:
                writer.abort()
                raise warehouse.translate_error(exc, run.sql) from exc
            recorded.update(row_count=writer.rows, truncated=truncated, result_bytes=size)
        finally:
            if isinstance(query, ReportsCost):
                cost = query.cost()
                recorded.update(
                    bytes_processed=cost.bytes_processed,
                    bytes_billed=cost.bytes_billed,
                    job_id=cost.job_id,
                )
            query.close()

    @staticmethod
    def _guard_cost(
        warehouse: Warehouse,
        request: QueryRequest,
        context: QueryContext,
        recorded: dict[str, Any],
    ) -> None:
        """Where a byte cap applies, estimate with a dry run, and refuse beyond the cap."""
        cap = context.max_bytes_billed
        if not cap or not isinstance(warehouse, CostEstimator):
            return
        estimate = warehouse.estimate(request.sql, request.params, context)
        recorded["bytes_estimated"] = estimate
        if estimate > cap:
            raise WarehouseError(
                ErrorKind.BYTE_CAP,
                f"This query would process {human_bytes(estimate)}, more than the "
                f"{human_bytes(cap)} allowed per query on this connection. No job was started.",
            )

    # -- observing and steering ----------------------------------------------------------
    async def get(self, run_id: str, actor: Actor) -> QueryRun:
        """A run the actor owns."""
        run = await self.io(self._runs.get, run_id)
        if run is None or not _owns(actor, run):
            raise RunNotFound(run_id)
        if RunStatus(run.status) in ACTIVE and run.id not in self._active:
            run = await self._expire_if_abandoned(run)
        return run

    async def _expire_if_abandoned(self, run: QueryRun) -> QueryRun:
        now = utcnow()
        if run.deadline_at + ABANDON_GRACE < now:
            await self.io(
                self._runs.expire_overdue,
                now - ABANDON_GRACE,
                "The server stopped before this query finished.",
            )
            refreshed = await self.io(self._runs.get, run.id)
            run = refreshed or run
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
            else:  # running in another process: it notices (_watch_elsewhere) and stops it
                await self.io(
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
        return await self.io(
            lambda: self._runs.history(
                user_id=actor.user_id, limit=limit, before=before, connection=connection
            )
        )

    async def page(self, run: QueryRun, offset: int, limit: int) -> ResultPage:
        """Rows of a succeeded run's result (raises ``ResultMissing`` if evicted)."""
        return await self.io(self.results.page, run.id, offset, limit)

    async def close(self, grace_seconds: float = 5.0) -> None:
        """Cancel every active run, give workers a moment to let go, release the pools."""
        if self._watcher is not None:
            self._watcher.cancel()
        controls = list(self._active.values())
        for control in controls:
            await self._end(control, RunStatus.CANCELLED, "server_stopped", "The server stopped.")
        loop = asyncio.get_running_loop()
        until = loop.time() + grace_seconds
        for control in controls:
            left = until - loop.time()
            if left > 0:
                await self.io(control.worker_done.wait, left)
        for pool in (self._remote_pool, self._embedded_pool):
            pool.shutdown(wait=False, cancel_futures=True)
        self._cancel_pool.shutdown(wait=False)
        self._io_pool.shutdown(wait=True)


def _statement(request: QueryRequest, dialect: str) -> str:
    """The SQL a run records: the request's, or the equivalent of a direct table read."""
    if request.table is not None:
        if request.sql.strip():
            raise InvalidRequest("Give either SQL or a table to read, not both.")
        return select_all(dialect, request.table.schema, request.table.name)
    if not request.sql.strip():
        raise InvalidRequest("The query is empty.")
    return request.sql


def _prepare(
    warehouse: Warehouse, request: QueryRequest, run: QueryRun, context: QueryContext
) -> Query:
    """The warehouse query of a run: a direct table read where the backend offers one."""
    if request.table is not None and isinstance(warehouse, TableReader):
        # One row more than the cap, so that a cut preview is known to be cut.
        table = request.table
        return warehouse.read_table(table.schema, table.name, run.max_rows + 1, context)
    return warehouse.query(run.sql, request.params, context)


def _cache_key(request: QueryRequest, principal: Principal, sql: str, max_rows: int) -> str:
    """Same connection, identity, statement, parameters and row cap: same answer."""
    params = request.params
    if params is not None and not isinstance(params, dict):
        params = list(params)
    table = request.table.stored() if request.table else None
    parts = [request.connection, principal.key, sql, params, max_rows, table]
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _owns(actor: Actor, run: QueryRun) -> bool:
    if actor.user_id is None:
        return run.user_id is None and run.actor == actor.name
    return run.user_id == actor.user_id
