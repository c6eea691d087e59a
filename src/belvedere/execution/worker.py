"""The worker: runs one query, on its backend's lane, into the results store, and ends the
run unless someone else (the deadline, a cancel) did first."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from belvedere.connections.handle import ConnectionHandle
from belvedere.execution.control import RunControl
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import RunStatus
from belvedere.observability import Metrics
from belvedere.results import ResultsStore, ResultsUnavailable, ResultTooLarge
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import Runs, snapshot
from belvedere.units import human_bytes
from belvedere.warehouses.base import (
    CostEstimator,
    Query,
    QueryContext,
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
    ) -> None:
        """``name``: the worker a run records as running it (a Celery worker's ``host:pid:nonce``;
        ``None`` in a server process); ``queue``: where its runs wait (for metrics)."""
        self._runs = runs
        self._results = results
        self._backend = backend
        self._on_dead_grant = on_dead_grant
        self.name = name
        self._metrics = metrics
        self._queue = queue

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
        if not self._runs.transition(
            run.id, [RunStatus.QUEUED], RunStatus.RUNNING, started_at=started, worker=self.name
        ):
            return
        control.started_at = started
        self._metrics.run_started(self._queue, (started - run.submitted_at).total_seconds())
        status = RunStatus.FAILED
        fields: dict[str, Any] = {}  # what the run cost is kept, whatever the outcome
        try:
            self._fetch(run, request, handle, control, fields)
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
        fields["finished_at"] = utcnow()
        if self._runs.transition(run.id, [RunStatus.RUNNING], status, **fields):
            control.finish(snapshot(run, status=status.value, started_at=started, **fields))
        elif status is RunStatus.SUCCEEDED:
            self._results.delete(run.id)  # ended meanwhile (deadline, cancel): drop the result

    def _fetch(
        self,
        run: QueryRun,
        request: QueryRequest,
        handle: ConnectionHandle,
        control: RunControl,
        recorded: dict[str, Any],
    ) -> None:
        """Run the query into the results store, noting in ``recorded`` how it went."""
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
        )
        try:
            if request.table is None:
                guard_cost(warehouse, request, context, recorded)
            query = _prepare(warehouse, request, run, context)
        except Exception as exc:
            raise warehouse.translate_error(exc, run.sql) from exc
        control.attach(query)
        try:
            self._store(run, warehouse, query, control, recorded)
        finally:
            if isinstance(query, ReportsCost):
                cost = query.cost()
                recorded.update(
                    bytes_processed=cost.bytes_processed,
                    bytes_billed=cost.bytes_billed,
                    job_id=cost.job_id,
                )
            query.close()

    def _store(
        self,
        run: QueryRun,
        warehouse: Warehouse,
        query: Query,
        control: RunControl,
        recorded: dict[str, Any],
    ) -> None:
        """Stream the query's batches into the run's result file, cut at the row cap."""
        try:
            if control.stop_requested:
                raise WarehouseError(ErrorKind.CANCELLED, "stopped before it started")
            reader = query.run()
            writer = self._results.writer(run.id, reader.schema)
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


def guard_cost(
    warehouse: Warehouse, request: QueryRequest, context: QueryContext, recorded: dict[str, Any]
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


def _prepare(
    warehouse: Warehouse, request: QueryRequest, run: QueryRun, context: QueryContext
) -> Query:
    """The warehouse query of a run: a direct table read where the backend offers one."""
    if request.table is not None and isinstance(warehouse, TableReader):
        # One row more than the cap, so that a cut preview is known to be cut.
        table = request.table
        return warehouse.read_table(table.schema, table.name, run.max_rows + 1, context)
    return warehouse.query(run.sql, request.params, context)
