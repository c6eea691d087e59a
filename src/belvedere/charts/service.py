"""Chart data: a spec becomes SQL for the connection's dialect, runs through the execution
service as the viewer (deadline, cancel, caps, cache per identity, with the chart's cache
policy), and comes back as rows with a Vega-Lite spec, or drawn as an image."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pyarrow as pa
from sqlglot import exp

from belvedere.charts.errors import ChartFailed, ChartInvalid, NotDrawable
from belvedere.charts.numeric import check_numeric, numeric_metrics
from belvedere.charts.render import to_png, to_svg
from belvedere.charts.spec import ChartSpec, Filter, SavedQuerySource, Source, TableSource
from belvedere.charts.sql import (
    chart_sql,
    distinct_values_sql,
    result_schema_sql,
    saved_query_source,
    source_expression,
)
from belvedere.charts.vega import vega_lite
from belvedere.concurrency import Pools
from belvedere.execution.formats import table_rows, type_name
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, RunStatus, Surface
from belvedere.execution.service import ExecutionService
from belvedere.store.charts import ChartRecord
from belvedere.store.runs import RunRecord
from belvedere.store.saved_queries import SavedQueries
from belvedere.warehouses.base import CostEstimator
from belvedere.warehouses.registry import backend_class

#: How long a source's column list is reused (a ``LIMIT 0`` query per identity).
COLUMNS_TTL_SECONDS = 300.0
#: Most values a dashboard filter offers.
MAX_FILTER_VALUES = 1000
#: Generated statements kept for reuse.
MAX_STATEMENTS = 4096


def _expression(dialect: str, source: Source, saved_sql: str | None) -> exp.Expression:
    """The FROM expression of a table, or of a saved query's SQL (raises ``ValueError``)."""
    if isinstance(source, TableSource):
        return source_expression(dialect, schema=source.schema_, table=source.table)
    assert saved_sql is not None
    return saved_query_source(dialect, saved_sql)


@dataclass(frozen=True)
class ChartData:
    """A chart's rows, how they were got, and how to draw them."""

    spec: ChartSpec
    columns: list[tuple[str, str]]
    """(name, the warehouse's type name) of each column."""
    arrow_types: list[tuple[str, str]]
    """(name, Arrow's type name) of each column: what drawing needs."""
    rows: list[list[Any]]
    truncated: bool
    sql: str
    cached: bool
    ran_at: datetime
    elapsed_ms: int
    vega_lite: dict[str, Any] | None
    run_id: str
    """The run holding the rows: maybe another user's with the same identity (a cache hit),
    so for reading here, never to hand out."""
    bytes_processed: int | None = None
    """What the run holding the rows processed, as the warehouse told (BigQuery)."""
    bytes_billed: int | None = None
    """What it billed (a cache hit of Belvedere's bills nothing new: see ``cached``)."""
    bills_bytes: bool = False
    """Whether the connection's warehouse bills by bytes (caps and budgets apply there)."""

    def drawing(self) -> dict[str, Any] | None:
        """A Vega-Lite spec with the rows inline (for drawing on the server); ``None`` for a
        table."""
        names = [name for name, _ in self.columns]
        values = [dict(zip(names, row, strict=True)) for row in self.rows]
        return vega_lite(self.spec, self.arrow_types, values=values)


class ChartService:
    """Turn chart specs into data, always through the execution service, and own the chart
    cache policy: a saved chart's own TTL, else the server's default; ``force`` runs again."""

    def __init__(
        self,
        execution: ExecutionService,
        saved_queries: SavedQueries,
        pools: Pools,
        *,
        default_ttl_seconds: float,
    ) -> None:
        self._execution = execution
        self._saved = saved_queries
        self._pools = pools
        self._default_ttl = default_ttl_seconds
        self._statements: dict[tuple[str, ...], str] = {}

    def cache_ttl(self, chart: ChartRecord | None) -> float:
        """How long a chart's data is reused: its own TTL, else the server's default."""
        if chart is not None and chart.cache_ttl_seconds is not None:
            return chart.cache_ttl_seconds
        return self._default_ttl

    @staticmethod
    def spec_of(chart: ChartRecord) -> ChartSpec:
        """A saved chart's spec (``ChartInvalid`` if it no longer fits the spec's rules)."""
        try:
            return ChartSpec.model_validate(chart.spec)
        except ValueError as exc:
            raise ChartInvalid(f"Chart {chart.id} is not valid: {exc}") from exc

    async def dialect(self, connection: str) -> str:
        """The SQL dialect of a connection's warehouse."""
        view = await self._execution.connection(connection)
        return backend_class(view.kind).quirks.dialect

    async def bills_bytes(self, connection: str) -> bool:
        """Whether a connection's warehouse bills by the bytes it scans (it dry-runs)."""
        view = await self._execution.connection(connection)
        return issubclass(backend_class(view.kind), CostEstimator)

    async def _source_sql(self, connection: str, source: Source, owner_id: int) -> str | None:
        """The SQL of a saved-query source as the chart's owner sees it (a viewer of a shared
        dashboard reads the owner's saved query as part of the chart); ``None`` for a table."""
        if isinstance(source, TableSource):
            return None
        assert isinstance(source, SavedQuerySource)
        saved = await self._pools.io.run(self._saved.visible, source.saved_query_id, owner_id)
        if saved is None:
            raise ChartInvalid(f"Saved query {source.saved_query_id} no longer exists.")
        if saved.connection_name != connection:
            raise ChartInvalid(
                f"Saved query {saved.name!r} is on connection {saved.connection_name!r}, "
                f"not {connection!r}."
            )
        return saved.sql

    async def _source(
        self, connection: str, source: Source, owner_id: int
    ) -> tuple[str, exp.Expression]:
        """The dialect, and the FROM expression of a source."""
        dialect = await self.dialect(connection)
        saved_sql = await self._source_sql(connection, source, owner_id)
        try:
            return dialect, _expression(dialect, source, saved_sql)
        except ValueError as exc:
            raise ChartInvalid(str(exc)) from exc

    async def statement(
        self,
        connection: str,
        spec: ChartSpec,
        owner_id: int,
        extra_filters: Sequence[Filter] = (),
    ) -> tuple[str, str]:
        """The chart's SQL and its dialect ("View SQL"); generated once per spec, source and
        filters (a dashboard asks for the same charts over and over)."""
        dialect = await self.dialect(connection)
        saved_sql = await self._source_sql(connection, spec.source, owner_id)
        # repr, not JSON: it tells a date from the same text as a string.
        key = (dialect, repr(spec), saved_sql or "", *(repr(f) for f in extra_filters))
        sql = self._statements.get(key)
        if sql is None:
            try:
                source = _expression(dialect, spec.source, saved_sql)
                sql = chart_sql(spec, dialect, source, extra_filters)
            except ValueError as exc:
                raise ChartInvalid(str(exc)) from exc
            if len(self._statements) >= MAX_STATEMENTS:
                self._statements.clear()
            self._statements[key] = sql
        return sql, dialect

    async def explore(
        self,
        connection: str,
        spec: ChartSpec,
        *,
        owner_id: int,
        actor: Actor,
        force: bool,
        cache_ttl_seconds: float | None = None,
    ) -> ChartData:
        """Run an unsaved chart as ``actor`` with the server's cache TTL (or the one given)."""
        ttl = self.cache_ttl(None) if cache_ttl_seconds is None else cache_ttl_seconds
        return await self._data(
            connection,
            spec,
            owner_id=owner_id,
            actor=actor,
            surface=Surface.CHART,
            cache_ttl_seconds=ttl,
            force=force,
        )

    async def saved(
        self,
        chart: ChartRecord,
        actor: Actor,
        *,
        force: bool = False,
        surface: Surface = Surface.CHART,
        extra_filters: Sequence[Filter] = (),
        hide_sql: bool = False,
        dashboard_id: int | None = None,
        charged_to: int | None = None,
    ) -> ChartData:
        """Run a saved chart as ``actor`` (its owner's saved query, its cache TTL); with
        ``hide_sql``, its errors are told without its SQL; ``dashboard_id``: the dashboard
        it is drawn on; ``charged_to``: who pays for it, if not ``actor`` (a schedule's
        owner)."""
        spec = self.spec_of(chart)
        try:
            return await self._data(
                chart.connection_name,
                spec,
                owner_id=chart.owner_id,
                actor=actor,
                surface=surface,
                cache_ttl_seconds=self.cache_ttl(chart),
                force=force,
                extra_filters=extra_filters,
                drawn=(chart.id, dashboard_id),
                charged_to=charged_to,
            )
        except (ChartFailed, ChartInvalid) as exc:
            raise _hidden(exc) if hide_sql else exc from None

    async def _data(
        self,
        connection: str,
        spec: ChartSpec,
        *,
        owner_id: int,
        actor: Actor,
        surface: Surface,
        cache_ttl_seconds: float | None,
        force: bool = False,
        extra_filters: Sequence[Filter] = (),
        drawn: tuple[int | None, int | None] = (None, None),
        charged_to: int | None = None,
    ) -> ChartData:
        """Run the chart as ``actor`` and return its rows (raises ``ChartFailed``); ``drawn``:
        the saved chart and the dashboard it is drawn for, if any; ``charged_to``: who pays."""
        started = time.perf_counter()
        sql, _ = await self.statement(connection, spec, owner_id, extra_filters)
        run, cached = await self._run(
            connection, sql, actor, surface, spec.limit, cache_ttl_seconds, force, drawn, charged_to
        )
        table = await self._read(run)
        columns = [(f.name, type_name(f)) for f in table.schema]
        arrow_types = [(f.name, str(f.type)) for f in table.schema]
        rows = table_rows(table)
        return ChartData(
            spec=spec,
            columns=columns,
            arrow_types=arrow_types,
            rows=rows,
            truncated=run.truncated,
            sql=sql,
            cached=cached,
            ran_at=run.finished_at or run.submitted_at,
            elapsed_ms=round((time.perf_counter() - started) * 1000),
            vega_lite=vega_lite(spec, arrow_types, rows=rows),
            run_id=run.id,
            bytes_processed=run.bytes_processed,
            bytes_billed=run.bytes_billed,
            bills_bytes=await self.bills_bytes(connection),
        )

    async def image(self, data: ChartData, format: Literal["png", "svg"]) -> bytes | str:
        """The chart drawn on the server, on the CPU lane (``NotDrawable`` for a table)."""
        drawing = data.drawing()
        if drawing is None:
            raise NotDrawable(f"A {data.spec.type.value} chart is a table: export it as CSV.")
        if format == "svg":
            return await self._pools.cpu.run(to_svg, drawing)
        return await self._pools.cpu.run(to_png, drawing)

    async def check_metrics(
        self, connection: str, spec: ChartSpec, owner_id: int, actor: Actor
    ) -> None:
        """Refuse a sum or average of a column without numbers (``MetricNotNumeric``)."""
        if numeric_metrics(spec):
            columns = await self.source_columns(connection, spec.source, owner_id, actor)
            check_numeric(spec, columns)

    async def source_columns(
        self, connection: str, source: Source, owner_id: int, actor: Actor
    ) -> list[tuple[str, str]]:
        """The columns of a chart's source, from a ``LIMIT 0`` query as ``actor`` (recorded
        as a probe, not as a user's run)."""
        dialect, expression = await self._source(connection, source, owner_id)
        sql = result_schema_sql(dialect, expression)
        run, _ = await self._run(
            connection, sql, actor, Surface.PROBE, 1, COLUMNS_TTL_SECONDS, False
        )
        page = await self._execution.page(run, 0, 1)
        return [(f.name, type_name(f)) for f in page.schema]

    async def distinct_values(
        self, chart: ChartRecord, column: str, actor: Actor, *, hide_sql: bool = False
    ) -> list[Any]:
        """The values a dashboard filter offers for a column of a chart's source."""
        try:
            source = self.spec_of(chart).source
            dialect, expression = await self._source(chart.connection_name, source, chart.owner_id)
            sql = distinct_values_sql(dialect, expression, column, MAX_FILTER_VALUES)
            run, _ = await self._run(
                chart.connection_name,
                sql,
                actor,
                Surface.DASHBOARD,
                MAX_FILTER_VALUES,
                self.cache_ttl(chart),
                False,
            )
        except (ChartFailed, ChartInvalid) as exc:
            raise _hidden(exc) if hide_sql else exc from None
        table = await self._read(run)
        return [row[0] for row in table_rows(table)]

    async def _run(
        self,
        connection: str,
        sql: str,
        actor: Actor,
        surface: Surface,
        max_rows: int,
        cache_ttl_seconds: float | None,
        force: bool,
        drawn: tuple[int | None, int | None] = (None, None),
        charged_to: int | None = None,
    ) -> tuple[RunRecord, bool]:
        """A succeeded run of ``sql`` (reused from the cache where allowed), recorded as for
        the chart and dashboard of ``drawn`` and charged to ``charged_to`` (``None``:
        ``actor``)."""
        request = QueryRequest(
            connection=connection,
            sql=sql,
            actor=actor,
            surface=surface,
            max_rows=max_rows,
            cache_ttl_seconds=cache_ttl_seconds,
            force=force,
            chart_id=drawn[0],
            dashboard_id=drawn[1],
            charged_to=charged_to,
        )
        run, cached = await self._execution.submit_or_reuse(request)
        if not cached:
            run = await self._execution.wait_to_end(run, actor)
        if run.status != RunStatus.SUCCEEDED:
            raise ChartFailed(run)
        return run, cached

    async def _read(self, run: RunRecord) -> pa.Table:
        """A run's whole (capped) result, decimals as floats so charts can scale them."""
        table = (await self._execution.page(run, 0, run.max_rows)).rows
        for i, field in enumerate(table.schema):
            if pa.types.is_decimal(field.type):
                column = table.column(i).cast(pa.float64())
                table = table.set_column(i, field.with_type(pa.float64()), column)
        return table


def _hidden(exc: ChartFailed | ChartInvalid) -> ChartFailed | ChartInvalid:
    """The same error, to be told without the chart's SQL."""
    if isinstance(exc, ChartFailed):
        return ChartFailed(exc.run, hide_sql=True)
    return ChartInvalid(str(exc), hide_sql=True)
