"""The execution service: every query, from every surface, runs through here.

Each run gets a history record, a deadline, a cancel path that reaches the warehouse, a row
cap, and an Arrow result in the results store. Blocking work runs on two bounded pools: one
for warehouse calls, one for the metadata store and result files. The event loop only waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from belvedere.concurrency import run_in_pool
from belvedere.connections.service import ConnectionService
from belvedere.execution.control import RunControl
from belvedere.execution.requests import Limits, QueryRequest
from belvedere.execution.results import ResultPage, ResultsStore
from belvedere.execution.runs import ACTIVE, Actor, RunStatus
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import Runs
from belvedere.warehouses.errors import ErrorKind, WarehouseError

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

#: How often a waiter re-reads a run that another process is running.
POLL_SECONDS = 0.25
#: How long past its deadline a run may stay active before it is presumed abandoned.
ABANDON_GRACE = timedelta(seconds=60)


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
        *,
        query_threads: int,
        io_threads: int = 8,
    ) -> None:
        self._runs = runs
        self._connections = connections
        self.results = results
        self.limits = limits
        self._query_pool = ThreadPoolExecutor(query_threads, thread_name_prefix="belvedere-query")
        self._io_pool = ThreadPoolExecutor(io_threads, thread_name_prefix="belvedere-io")
        self._cancel_pool = ThreadPoolExecutor(4, thread_name_prefix="belvedere-cancel")
        self._active: dict[str, RunControl] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def io(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking metadata or file call on the I/O pool."""
        return await run_in_pool(self._io_pool, func, *args, **kwargs)

    # -- submitting ----------------------------------------------------------------------
    async def submit(self, request: QueryRequest) -> QueryRun:
        """Record a run and start it; returns at once with the run ``queued``."""
        sql = request.sql.strip()
        if not sql:
            raise InvalidRequest("the query is empty")
        connection = await self.io(self._connections.get, request.connection)
        timeout = (
            request.timeout_seconds or connection.timeout_seconds or self.limits.timeout_seconds
        )
        cap = self.limits.export_max_rows if request.export else self.limits.max_result_rows
        max_rows = min(request.max_rows or cap, cap)
        now = utcnow()
        run = QueryRun(
            id=uuid.uuid4().hex,
            user_id=request.actor.user_id,
            actor=request.actor.name,
            connection_name=request.connection,
            surface=request.surface.value,
            sql=request.sql,
            status=RunStatus.QUEUED.value,
            max_rows=max_rows,
            truncated=False,
            submitted_at=now,
            deadline_at=now + timedelta(seconds=timeout),
        )
        await self.io(self._runs.add, run)
        control = RunControl()
        self._active[run.id] = control
        task = asyncio.create_task(self._supervise(run, request, control, timeout))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    async def _supervise(
        self, run: QueryRun, request: QueryRequest, control: RunControl, timeout: float
    ) -> None:
        loop = asyncio.get_running_loop()
        work: asyncio.Future[Any] = loop.run_in_executor(
            self._query_pool, self._execute, run, request, control
        )
        ended: asyncio.Future[Any] = asyncio.ensure_future(control.ended.wait())
        try:
            done, _ = await asyncio.wait(
                {work, ended}, timeout=timeout, return_when="FIRST_COMPLETED"
            )
            if not done:
                message = (
                    f"The query did not finish within its {timeout:g} s deadline and was stopped."
                )
                ended_now = await self.io(
                    self._runs.transition,
                    run.id,
                    ACTIVE,
                    RunStatus.TIMED_OUT,
                    error_code="timeout",
                    error_message=message,
                    finished_at=utcnow(),
                )
                if ended_now:
                    self._stop_in_background(control)
        except Exception:
            log.exception("supervising run %s failed", run.id)
        finally:
            ended.cancel()
            control.ended.set()
            self._active.pop(run.id, None)

    def _stop_in_background(self, control: RunControl) -> None:
        # Cancelling talks to the warehouse and may retry; nobody waits for it.
        self._cancel_pool.submit(control.stop)

    def _execute(self, run: QueryRun, request: QueryRequest, control: RunControl) -> None:
        """The worker: runs on the query pool and ends the run unless someone else did."""
        try:
            self._execute_once(run, request, control)
        finally:
            control.worker_done.set()

    def _execute_once(self, run: QueryRun, request: QueryRequest, control: RunControl) -> None:
        if not self._runs.transition(
            run.id, [RunStatus.QUEUED], RunStatus.RUNNING, started_at=utcnow()
        ):
            return
        try:
            rows, truncated, size = self._fetch(run, request, control)
        except WarehouseError as exc:
            self._fail(run.id, exc.kind.value, exc.message, exc.line, exc.column)
        except Exception:
            log.exception("run %s failed unexpectedly", run.id)
            self._fail(
                run.id,
                "internal_error",
                "Belvedere failed to run the query; the server log has details.",
            )
        else:
            if not self._runs.transition(
                run.id,
                [RunStatus.RUNNING],
                RunStatus.SUCCEEDED,
                row_count=rows,
                truncated=truncated,
                result_bytes=size,
                finished_at=utcnow(),
            ):
                self.results.delete(run.id)

    def _fetch(
        self, run: QueryRun, request: QueryRequest, control: RunControl
    ) -> tuple[int, bool, int]:
        warehouse = self._connections.warehouse(request.connection)
        query = warehouse.query(request.sql, request.params)
        control.attach(query)
        try:
            try:
                if control.stop_requested:
                    raise WarehouseError(ErrorKind.CANCELLED, "stopped before it started")
                reader = query.run()
                writer = self.results.writer(run.id, reader.schema)
            except Exception as exc:
                raise warehouse.translate_error(exc, request.sql) from exc
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
                raise warehouse.translate_error(exc, request.sql) from exc
            return writer.rows, truncated, size
        finally:
            query.close()

    def _fail(
        self,
        run_id: str,
        code: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self._runs.transition(
            run_id,
            [RunStatus.RUNNING],
            RunStatus.FAILED,
            error_code=code,
            error_message=message,
            error_line=line,
            error_column=column,
            finished_at=utcnow(),
        )

    # -- observing and steering ----------------------------------------------------------
    async def get(self, run_id: str, actor: Actor) -> QueryRun:
        """A run the actor owns."""
        run = await self.io(self._runs.get, run_id)
        if (
            run is None
            or run.user_id != actor.user_id
            or (actor.user_id is None and run.actor != actor.name)
        ):
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
        run = await self.get(run_id, actor)
        loop = asyncio.get_running_loop()
        until = loop.time() + max(timeout, 0)
        while RunStatus(run.status) in ACTIVE:
            left = until - loop.time()
            if left <= 0:
                break
            control = self._active.get(run_id)
            if control is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(control.ended.wait(), left)
            else:
                await asyncio.sleep(min(POLL_SECONDS, left))
            run = await self.get(run_id, actor)
        return run

    async def cancel(self, run_id: str, actor: Actor) -> QueryRun:
        """Cancel a queued or running run (a no-op on an ended one)."""
        run = await self.get(run_id, actor)
        if RunStatus(run.status) in ACTIVE:
            cancelled = await self.io(
                self._runs.transition,
                run_id,
                ACTIVE,
                RunStatus.CANCELLED,
                error_code="cancelled",
                error_message="Cancelled by the user.",
                finished_at=utcnow(),
            )
            control = self._active.get(run_id)
            if cancelled and control is not None:
                control.ended.set()
                self._stop_in_background(control)
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
        controls = list(self._active.items())
        for run_id, control in controls:
            await self.io(
                self._runs.transition,
                run_id,
                ACTIVE,
                RunStatus.CANCELLED,
                error_code="server_stopped",
                error_message="The server stopped.",
                finished_at=utcnow(),
            )
            control.ended.set()
            self._stop_in_background(control)
        loop = asyncio.get_running_loop()
        until = loop.time() + grace_seconds
        for _, control in controls:
            left = until - loop.time()
            if left > 0:
                await self.io(control.worker_done.wait, left)
        self._query_pool.shutdown(wait=False, cancel_futures=True)
        self._cancel_pool.shutdown(wait=False)
        self._io_pool.shutdown(wait=True)
