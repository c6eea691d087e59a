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

import pyarrow as pa
from cachetools import TTLCache

from belvedere.cluster.bus import Bus, Topic
from belvedere.concurrency import Pools
from belvedere.connections.handle import ConnectionHandle
from belvedere.connections.service import ConnectionService, ConnectionView
from belvedere.costs.model import Allowance
from belvedere.costs.policy import CostPolicy
from belvedere.execution.cache import ResultCache, cache_key
from belvedere.execution.formats import ExportFormat, JsonPage, export_chunks, json_page
from belvedere.execution.fresh import FreshResults
from belvedere.execution.requests import Limits, QueryRequest
from belvedere.execution.runner import QueueUnavailable, Runner
from belvedere.execution.runs import ACTIVE, Actor, RunStatus
from belvedere.execution.signals import RunSignals
from belvedere.execution.watcher import expire_if_abandoned
from belvedere.observability import Metrics
from belvedere.results import ResultMissing, ResultPage, ResultsStore
from belvedere.security.secretbox import SecretBox
from belvedere.sql.generate import select_all
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import RunRecord, Runs
from belvedere.warehouses.base import CostEstimator, Params, QueryContext, Warehouse

__all__ = [
    "Estimate",
    "ExecutionService",
    "InvalidRequest",
    "QueueUnavailable",
    "ResultMissing",
    "RunNotFound",
]

log = logging.getLogger(__name__)

#: How often a waiter re-reads a run that another process is running, when no message of
#: its end can be expected (no bus between the processes, or the bus is cut off).
POLL_SECONDS = 0.25
#: How often it re-reads it anyway, in case a message is lost.
BUS_POLL_SECONDS = 2.0
#: How many runs queued elsewhere, and for how long, a process remembers as it queued them.
SUBMITTED_KEPT = 10_000
SUBMITTED_SECONDS = 5.0
#: Beyond a run's deadline, how long :meth:`ExecutionService.wait_to_end` still waits (its
#: supervisor ends it at the deadline; the slack covers the end reaching the waiter).
END_SLACK_SECONDS = 2.0
#: How long a dry-run estimate may take.
ESTIMATE_SECONDS = 30.0
#: Up to how many values a page from memory is turned into JSON on the event loop.
LOOP_CELLS = 2_000


@dataclass(frozen=True)
class Estimate:
    """What a query would process, and the cap it is held to (the user's effective cap where
    cost rules apply, else the connection's); ``allowance``: the user's caps, budgets and
    raise on a connection billed by bytes (``None`` elsewhere)."""

    bytes: int | None
    cap: int | None
    allowance: Allowance | None = None


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
        runner: Runner,
        bus: Bus,
        metrics: Metrics,
        box: SecretBox,
        fresh: FreshResults | None = None,
        costs: CostPolicy | None = None,
    ) -> None:
        """``runner`` starts and stops runs (in this process, or on Celery workers); ``bus``
        carries the ends and stops of runs between processes, ``box`` opens the ended runs
        its messages carry, sealed; ``fresh``: small results this process's worker just
        wrote, read before the results store; ``costs``: the users' caps and budgets, told
        with estimates (runs are held to them by the worker's guard)."""
        self._runs = runs
        self._connections = connections
        self._pools = pools
        self.results = results
        self.limits = limits
        self._cache = ResultCache(runs, results)
        self._runner = runner
        self._bus = bus
        self._signals = RunSignals(bus, box)
        self._metrics = metrics
        self._submitted: TTLCache[str, QueryRun] = TTLCache(SUBMITTED_KEPT, SUBMITTED_SECONDS)
        self._fresh = fresh
        self._costs = costs

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
        found = await asyncio.wait_for(self._connections.call(handle, dry_run), ESTIMATE_SECONDS)
        if self._costs is None or found.bytes is None:
            return found
        costs = self._costs
        allowance = await self._pools.io.run(
            lambda: costs.allowance(actor, connection, bills_bytes=True, connection_cap=found.cap)
        )
        return Estimate(found.bytes, allowance.cap, allowance)

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
        # Resolving, the cache lookup and recording the run: one trip to the I/O lane.
        run, handle, timeout = await self._pools.io.run(self._record, request)
        if handle is None:
            return run, True
        await self._runner.start(run, request, handle, timeout)
        if self._runner.control(run.id) is None:
            self._submitted[run.id] = run  # its first wait need not read it back
        return run, False

    def _record(self, request: QueryRequest) -> tuple[QueryRun, ConnectionHandle | None, float]:
        """Resolve the request's connection and record its run (blocking): the new run, its
        handle and its deadline in seconds, or a cached run that answers it and ``None``."""
        handle = self._connections.resolve(request.connection, request.actor)
        sql = _statement(request, handle.dialect)
        timeout = self.limits.deadline_seconds(request.timeout_seconds, handle.timeout_seconds)
        cap = self.limits.export_max_rows if request.export else self.limits.max_result_rows
        max_rows = min(request.max_rows or cap, cap)
        now = utcnow()
        key = None
        if request.cache_ttl_seconds is not None:
            key = cache_key(request, handle.principal, sql, max_rows)
            if not request.force:
                hit = self._cache.find(key, now - timedelta(seconds=request.cache_ttl_seconds))
                self._metrics.cache_lookup(hit is not None)
                if hit is not None:
                    return hit, None, timeout
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
            chart_id=request.chart_id,
            dashboard_id=request.dashboard_id,
            charged_to=_charged_to(request),
        )
        self._runs.add(run)
        return run, handle, timeout

    # -- observing and steering ----------------------------------------------------------
    async def get(self, run_id: str, actor: Actor) -> QueryRun:
        """A run the actor owns."""
        run = await self._pools.io.run(self._runs.get, run_id)
        if run is None or not _owns(actor, run):
            raise RunNotFound(run_id)
        if RunStatus(run.status) in ACTIVE and self._runner.control(run.id) is None:
            run = await expire_if_abandoned(self._runs, self._pools, run)
        return run

    async def wait(self, run_id: str, actor: Actor, timeout: float) -> QueryRun:
        """A run once it has ended, or as it is after ``timeout`` seconds."""
        control = self._runner.control(run_id)
        if control is not None and _owns(actor, control.run):
            # Ran here: wait for it without touching the database, unless it outlives the wait.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(control.ended.wait(), max(timeout, 0))
            if control.final is not None:
                return control.final
        loop = asyncio.get_running_loop()
        until = loop.time() + max(timeout, 0)
        with self._signals.watching(run_id) as waiter:  # runs elsewhere: woken when it ends
            run = self._submitted.pop(run_id, None)  # just queued here: no need to read it
            if run is None or not _owns(actor, run):
                run = await self.get(run_id, actor)
            while RunStatus(run.status) in ACTIVE and (left := until - loop.time()) > 0:
                poll = BUS_POLL_SECONDS if self._signals.reliable else POLL_SECONDS
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.event.wait(), min(poll, left))
                waiter.event.clear()
                if waiter.final is not None and _owns(actor, waiter.final):
                    return waiter.final  # the process that ended it sent it
                run = await self.get(run_id, actor)
        return run

    async def wait_to_end(self, run: RunRecord, actor: Actor) -> QueryRun:
        """A run once it has ended: waited for up to its deadline (and a little slack)."""
        left = (run.deadline_at - run.submitted_at).total_seconds() + END_SLACK_SECONDS
        return await self.wait(run.id, actor, left)

    async def cancel(self, run_id: str, actor: Actor) -> QueryRun:
        """Cancel a queued or running run (a no-op on an ended one)."""
        run = await self.get(run_id, actor)
        if RunStatus(run.status) in ACTIVE:
            await self.end(run_id, RunStatus.CANCELLED, "cancelled", "Cancelled by the user.")
            run = await self.get(run_id, actor)
        return run

    async def end(self, run_id: str, status: RunStatus, code: str, message: str) -> bool:
        """End an active run wherever it runs, and stop its query; ``False`` if it had ended.
        Here, the runner stops it; elsewhere, the process running it hears of it on the bus
        (and, without a bus, sees it in the store within half a second)."""
        if await self._runner.end(run_id, status, code, message):
            return True
        ended = await self._pools.io.run(self._runs.end, run_id, ACTIVE, status, code, message)
        if ended:  # on the lane: a hung Redis must not hold up the event loop
            await self._pools.io.run(self._publish_end, run_id)
        return ended

    def _publish_end(self, run_id: str) -> None:
        """Tell every process a run ended: whoever runs it stops it, its waiters look."""
        self._bus.publish(Topic.RUN_STOP, {"run": run_id})
        self._bus.publish(Topic.RUN_ENDED, {"run": run_id})

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
        if (page := self._fresh_page(run.id, offset, limit)) is not None:
            return page
        return await self._pools.io.run(self.results.page, run.id, offset, limit)

    async def page_json(self, run: RunRecord, offset: int, limit: int) -> JsonPage:
        """Like :meth:`page`, the rows as JSON values with each column's type names."""

        def as_json(page: ResultPage) -> JsonPage:
            return json_page(page.schema, page.rows, offset, page.total_rows)

        fresh = self._fresh_page(run.id, offset, limit)
        if fresh is not None and fresh.rows.num_rows * fresh.rows.num_columns <= LOOP_CELLS:
            return as_json(fresh)  # a few values: quicker here than a trip to a lane
        if fresh is not None:
            return await self._pools.io.run(as_json, fresh)
        return await self._pools.io.run(lambda: as_json(self.results.page(run.id, offset, limit)))

    def _fresh_page(self, run_id: str, offset: int, limit: int) -> ResultPage | None:
        """A page of a result this process just wrote, from memory, on its first read."""
        table = self._fresh.take(run_id) if self._fresh is not None else None
        if table is None:
            return None
        rows = table.slice(offset, limit)
        return ResultPage(table.schema, rows, offset, table.num_rows)

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
        """Stop what runs in this process (on workers, runs go on)."""
        await self._runner.close(grace_seconds)


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


def _charged_to(request: QueryRequest) -> int | None:
    """Whom a run is charged to, when not its user (``None``: its user)."""
    payer = request.charged_to
    return None if payer is None or payer == request.actor.user_id else payer


def _owns(actor: Actor, run: QueryRun) -> bool:
    if actor.user_id is None:
        return run.user_id is None and run.actor == actor.name
    return run.user_id == actor.user_id
