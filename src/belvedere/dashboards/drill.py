"""Drill to detail: the rows behind a mark of a dashboard's chart, run as the viewer.

The chart's source, not aggregated, under the chart's own filters, the dashboard's filter values
(the same rules as the tiles: a viewer filters only on the dashboard's declared filters) and the
mark's ``column = value`` pairs (each a column of the chart's source). It runs through the
execution service as the viewer (their identity, caps, deadline; recorded as a ``drill`` run),
so what comes back is what the viewer's identity may read, once they may drill that chart at
all (:mod:`belvedere.dashboards.drill_access`: seeing it is not enough). A page is read from
one capped run (the same query within the chart's cache TTL is not run again); an export runs
it under the export row cap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from belvedere.auth.account import Account
from belvedere.charts.drill_sql import PointValue, drill_sql
from belvedere.charts.errors import ChartFailed, ChartInvalid, ChartNotFound
from belvedere.charts.service import ChartService
from belvedere.charts.spec import ChartSpec, DashboardFilterValue, TableSource
from belvedere.charts.sql import saved_query_source, source_expression
from belvedere.concurrency import Lane
from belvedere.dashboards.access import filters_anywhere
from belvedere.dashboards.drill_access import DrillAccess
from belvedere.dashboards.filters import check_viewer_filters
from belvedere.dashboards.service import DashboardService, shows_sql
from belvedere.execution.formats import ExportFormat, JsonPage
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, RunStatus, Surface
from belvedere.execution.service import ExecutionService
from belvedere.store.charts import ChartRecord
from belvedere.store.runs import RunRecord
from belvedere.store.saved_queries import SavedQueries


class DrillInvalid(ValueError):
    """A drill the request got wrong: a column its chart's source does not have, a time that
    is not one (answered 422)."""


@dataclass(frozen=True)
class DrillQuery:
    """The query of one drill, and whom it runs for."""

    chart: ChartRecord
    dashboard_id: int
    sql: str
    params: dict[str, object]
    show_sql: bool


@dataclass(frozen=True)
class DrillRows:
    """A page of the rows behind a mark."""

    page: JsonPage
    truncated: bool
    """The run stopped at the interactive row cap: there are more rows than it holds."""
    sql: str | None
    """The query, for those shown the chart's SQL."""


class DrillService:
    """The rows behind a mark, paged or exported, as the viewer."""

    def __init__(
        self,
        dashboards: DashboardService,
        runner: ChartService,
        execution: ExecutionService,
        saved: SavedQueries,
        io: Lane,
        access: DrillAccess,
    ) -> None:
        self._access = access
        self._dashboards = dashboards
        self._runner = runner
        self._execution = execution
        self._saved = saved
        self._io = io

    async def query(
        self,
        viewer: Account,
        dashboard_id: int,
        chart_id: int,
        values: Sequence[DashboardFilterValue],
        point: Mapping[str, PointValue],
    ) -> DrillQuery:
        """The drill's SQL and parameters, once the viewer may see the dashboard (else
        ``DashboardNotFound``), the chart is on it, they may drill it (else
        ``DrillNotAllowed``), the filters are theirs to apply and the mark's columns are its
        source's."""
        view = await self._dashboards.get(viewer, dashboard_id)
        chart = view.charts.get(chart_id)
        if chart is None:
            raise ChartNotFound(f"No chart {chart_id} on dashboard {dashboard_id}.")
        await self._io.run(self._access.check, chart, viewer)
        if not filters_anywhere(view.access, viewer):
            check_viewer_filters(view.filters, values, lambda: view.charts.values())
        columns = set(chart.source_columns)
        unknown = [c for c in point if c not in columns]
        if unknown:
            raise DrillInvalid(
                f"{unknown[0]!r} is not a column of the source of chart {chart.name!r}."
            )
        show = shows_sql(chart, viewer)
        try:
            spec = self._runner.spec_of(chart)
            dialect, source = await self._source(chart, spec)
        except ChartInvalid as exc:
            raise exc if show else ChartInvalid(str(exc), hide_sql=True) from None
        try:
            sql, params = drill_sql(
                spec, dialect, source, [v for v in values if v.column in columns], point
            )
        except ValueError as exc:
            raise DrillInvalid(f"The mark's time is not a date or time: {exc}") from None
        return DrillQuery(chart, dashboard_id, sql, dict(params), show)

    async def _source(self, chart: ChartRecord, spec: ChartSpec) -> tuple[str, exp.Expression]:
        """The dialect, and the FROM expression of the chart's source: its table, or its
        saved query as its owner sees it (as the chart's own runs read it)."""
        dialect = await self._runner.dialect(chart.connection_name)
        source = spec.source
        try:
            if isinstance(source, TableSource):
                return dialect, source_expression(
                    dialect, schema=source.schema_, table=source.table
                )
            saved = await self._io.run(self._saved.visible, source.saved_query_id, chart.owner_id)
            if saved is None or saved.connection_name != chart.connection_name:
                raise ChartInvalid(f"The saved query of chart {chart.name!r} no longer exists.")
            return dialect, saved_query_source(dialect, saved.sql)
        except ValueError as exc:
            raise ChartInvalid(str(exc)) from exc

    async def _run(self, query: DrillQuery, actor: Actor, *, export: bool) -> RunRecord:
        request = QueryRequest(
            connection=query.chart.connection_name,
            sql=query.sql,
            actor=actor,
            surface=Surface.DRILL,
            params=query.params,
            export=export,
            cache_ttl_seconds=self._runner.cache_ttl(query.chart),
            chart_id=query.chart.id,
            dashboard_id=query.dashboard_id,
        )
        run, cached = await self._execution.submit_or_reuse(request)
        if not cached:
            run = await self._execution.wait_to_end(run, actor)
        if run.status != RunStatus.SUCCEEDED:
            raise ChartFailed(run, hide_sql=not query.show_sql)
        return run

    async def rows(self, query: DrillQuery, actor: Actor, offset: int, limit: int) -> DrillRows:
        """A page of the rows, from a run capped at the interactive row cap."""
        run = await self._run(query, actor, export=False)
        page = await self._execution.page_json(run, offset, limit)
        return DrillRows(page, run.truncated, query.sql if query.show_sql else None)

    async def export(
        self, query: DrillQuery, actor: Actor, format: ExportFormat
    ) -> AsyncIterator[bytes]:
        """All the rows (up to the export row cap) in ``format``, chunk by chunk."""
        run = await self._run(query, actor, export=True)
        return await self._execution.export(run.id, format)
