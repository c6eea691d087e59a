"""The worker: runs one query, on its backend's lane, into the results store, and ends the
run unless someone else (the deadline, a cancel) did first."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import pyarrow as pa

from belvedere.concurrency import Lane
from belvedere.connections.handle import ConnectionHandle
from belvedere.costs.guard import CostGuard
from belvedere.execution.control import RunControl
from belvedere.execution.fresh import FreshResults
from belvedere.execution.progress import ProgressBoard
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import ACTIVE, RunStatus
from belvedere.observability import Metrics
from belvedere.results import ResultsStore, ResultsUnavailable, ResultTooLarge
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import Runs
from belvedere.warehouses.base import (
    Query,
    QueryContext,
    QueryProgress,
    ReportsCost,
    TableReader,
    Warehouse,
)
from belvedere.warehouses.errors import ErrorKind, WarehouseError

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Belvedere failed to run the query; the server log has details."
#: How long past a run's deadline the backend's own timeouts fire.
BACKSTOP_SECONDS = 1.0

#: Called with (user id, connection) when a run finds a user's grant dead.
DeadGrant = Callable[[int, str], None]


class Worker:
    """Runs queries into the results store; one call of :meth:`execute` per run (blocking)."""

    def __init__(
        self,
        runs: Runs,
        results: ResultsStore,
        backend: Callable[[ConnectionHandle], Warehouse],
        on_dead_grant: DeadGrant,
        metrics: Metrics,
        *,
        name: str | None = None,
        queue: str = "local",
        fresh: FreshResults | None = None,
        alongside: Lane | None = None,
        guard: CostGuard | None = None,
        progress: ProgressBoard | None = None,
    ) -> None:
        """``name``: the worker a run records as running it (a Celery worker's ``host:pid:nonce``;
        ``None`` in a server process); ``queue``: where its runs wait (for metrics); ``fresh``:
        where small results are also kept for a moment, for the waiter in this process;
        ``alongside``: where a run's start is recorded while its query already runs, in a
        server process (without it, it is recorded first: a Celery worker's compare-and-set
        start is what runs a message delivered twice only once); ``guard``: holds queries to
        their users' byte caps and budgets before a job starts (``None``: no checks);
        ``progress``: told how far a running query got, as its warehouse reports it."""
        self._runs = runs
        self._guard = guard
        self._results = results
        self._backend = backend
        self._on_dead_grant = on_dead_grant
        self.name = name
        self._metrics = metrics
        self._queue = queue
        self._fresh = fresh
        self._alongside = alongside
        self._progress = progress
        self._running = list(ACTIVE) if alongside is not None else [RunStatus.RUNNING]
        """What a run may be recorded as when its worker ends it."""

    def execute(
        self, run: QueryRun, request: QueryRequest, handle: ConnectionHandle, control: RunControl
    ) -> None:
        """Run ``run`` on the connection ``handle`` resolved at submit; tell ``control``."""
        try:
            self._execute(run, request, handle, control)
        finally:
            control.worker_done.set()

    def _execute(
        self, run: QueryRun, request: QueryRequest, handle: ConnectionHandle, control: RunControl
    ) -> None:
        started = utcnow()
        if self._alongside is None:
            if not self._runs.transition(
                run.id, [RunStatus.QUEUED], RunStatus.RUNNING, started_at=started, worker=self.name
            ):
                return  # ended while queued, or taken by another worker
        elif control.stop_requested:
            return
        else:
            self._alongside.submit(self._record_start, run.id, started, control)
        control.started_at = started
        self._metrics.run_started(self._queue, (started - run.submitted_at).total_seconds())
        status = RunStatus.FAILED
        fields: dict[str, Any] = {}  # what the run cost is kept, whatever the outcome
        small: pa.Table | None = None
        try:
            small = self._fetch(run, request, handle, control, fields)
        except WarehouseError as exc:
            fields.update(error_code=exc.kind.value, error_message=exc.message)
            fields.update(error_line=exc.line, error_column=exc.column)
        except Exception:
            log.exception("run %s failed unexpectedly", run.id)
            fields.update(error_code="internal_error", error_message=INTERNAL_ERROR)
        else:
            status = RunStatus.SUCCEEDED
        if fields.get("error_code") == ErrorKind.AUTHORIZATION.value and run.user_id is not None:
            # The user's grant is dead: revoke it, so that they are asked to authorize again.
            try:
                self._on_dead_grant(run.user_id, run.connection_name)
            except Exception:
                log.exception("revoking a dead grant for run %s failed", run.id)
        fields.update(finished_at=utcnow(), started_at=started, worker=self.name)
        control.finishing = True
        if ended := self._runs.finish(run, self._running, status, **fields):
            if small is not None and self._fresh is not None and status is RunStatus.SUCCEEDED:
                self._fresh.keep(run.id, small)
            control.finish(ended)
        else:  # ended meanwhile (deadline, cancel): drop the result, keep what it billed
            if status is RunStatus.SUCCEEDED:
                self._results.delete(run.id)
            if fields.get("bytes_billed") is not None:
                self._runs.note_cost(run.id, fields.get("bytes_processed"), fields["bytes_billed"])

    def _record_start(self, run_id: str, started: datetime, control: RunControl) -> None:
        """Record that a run started (on the ``alongside`` lane); a run found ended already,
        by a cancel from another process, is told to stop (the watcher then stops its query).
        A run this worker is itself ending (its start recorded late, the I/O lane busy) is
        left alone: there is no job left to cancel."""
        try:
            moved = self._runs.transition(
                run_id, [RunStatus.QUEUED], RunStatus.RUNNING, started_at=started, worker=self.name
            )
        except Exception:
            log.exception("recording the start of run %s failed", run_id)
            return
        if not moved and control.final is None and not control.finishing:
            control.request_stop()

    def _fetch(
        self,
        run: QueryRun,
        request: QueryRequest,
        handle: ConnectionHandle,
        control: RunControl,
        recorded: dict[str, Any],
    ) -> pa.Table | None:
        """Run the query into the results store, noting in ``recorded`` how it went; the
        whole result if it is small enough to keep in memory a moment."""
        warehouse = self._backend(handle)
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
            on_job=lambda job_id: self._runs.note_job(run.id, job_id),
            on_progress=self._reporter(run.id),
        )
        try:
            if request.table is None and self._guard is not None:
                cleared = self._guard.check(
                    warehouse,
                    run.id,
                    request.actor,
                    run.connection_name,
                    request.sql,
                    request.params,
                    context,
                    recorded,
                    charged_to=run.charged_to,
                )
                if cleared.max_bytes_billed is not None:
                    context = replace(context, max_bytes_billed=cleared.max_bytes_billed)
            query = _prepare(warehouse, request, run, context)
        except Exception as exc:
            raise warehouse.translate_error(exc, run.sql) from exc
        control.attach(query)
        try:
            return self._store(run, warehouse, query, control, recorded)
        finally:
            if isinstance(query, ReportsCost):
                cost = query.cost()
                recorded.update(
                    bytes_processed=cost.bytes_processed,
                    bytes_billed=cost.bytes_billed,
                    job_id=cost.job_id,
                )
            query.close()

    def _reporter(self, run_id: str) -> Callable[[QueryProgress], None] | None:
        """What tells the board how far ``run_id`` got (on the query's thread)."""
        board = self._progress
        if board is None:
            return None
        return lambda progress: board.report(run_id, progress)

    def _store(
        self,
        run: QueryRun,
        warehouse: Warehouse,
        query: Query,
        control: RunControl,
        recorded: dict[str, Any],
    ) -> pa.Table | None:
        """Stream the query's batches into the run's result file, cut at the row cap; the
        result as a table too while it is small (for :class:`FreshResults`)."""
        try:
            if control.stop_requested:
                raise WarehouseError(ErrorKind.CANCELLED, "stopped before it started")
            reader = query.run()
            writer = self._results.writer(run.id, reader.schema)
        except Exception as exc:
            raise warehouse.translate_error(exc, run.sql) from exc
        truncated = False
        small: list[pa.RecordBatch] | None = [] if self._fresh is not None else None
        small_bytes = 0
        try:
            for batch in reader:
                if control.stop_requested:
                    raise WarehouseError(ErrorKind.CANCELLED, "stopped")
                room = run.max_rows - writer.rows
                if batch.num_rows > room:
                    batch = batch.slice(0, room)
                    truncated = True
                writer.write(batch)
                if small is not None:
                    small.append(batch)
                    small_bytes += batch.nbytes
                    if not FreshResults.fits(writer.rows, small_bytes):
                        small = None
                if truncated:
                    break
            size = writer.commit()
        except ResultTooLarge as exc:
            writer.abort()
            raise WarehouseError(ErrorKind.RESULT_TOO_LARGE, str(exc)) from exc
        except ResultsUnavailable as exc:
            writer.abort()
            raise WarehouseError(ErrorKind.RESULTS_UNAVAILABLE, str(exc)) from exc
        except Exception as exc:
            writer.abort()
            raise warehouse.translate_error(exc, run.sql) from exc
        recorded.update(row_count=writer.rows, truncated=truncated, result_bytes=size)
        return None if small is None else pa.Table.from_batches(small, schema=reader.schema)


def _prepare(
    warehouse: Warehouse, request: QueryRequest, run: QueryRun, context: QueryContext
) -> Query:
    """The warehouse query of a run: a direct table read where the backend offers one."""
    if request.table is not None and isinstance(warehouse, TableReader):
        # One row more than the cap, so that a cut preview is known to be cut.
        table = request.table
        return warehouse.read_table(table.schema, table.name, run.max_rows + 1, context)
    return warehouse.query(run.sql, request.params, context)
