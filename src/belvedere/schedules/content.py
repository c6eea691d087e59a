"""A schedule's report, built as one identity: every query through the execution service
(surface ``schedule``: deadline, cost guard, audit), as that actor, never a shared one. Its
owner asked for it, so its owner pays: run as each recipient, its runs are charged to the
owner (their caps and budgets hold them, their spend counts them), not to the recipients."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from belvedere.charts.errors import ChartFailed, ChartInvalid, NotDrawable
from belvedere.charts.service import ChartData, ChartService
from belvedere.concurrency import Pools
from belvedere.dashboards.service import DashboardService
from belvedere.execution.formats import table_rows
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, RunStatus, Surface
from belvedere.execution.service import ExecutionService
from belvedere.filenames import file_stem
from belvedere.identity.service import AuthorizationRequired
from belvedere.schedules.delivery.report import Report, Section
from belvedere.schedules.model import ScheduleRecord, TargetKind
from belvedere.schedules.rules import refusal_as_recipient
from belvedere.store.charts import ChartRecord, Charts
from belvedere.store.runs import RunRecord
from belvedere.store.saved_queries import SavedQueries
from belvedere.store.users import Users
from belvedere.warehouses.errors import ErrorKind

#: Most rows a report's CSV holds (its note says when there were more).
MAX_CSV_ROWS = 10_000
#: Charts of one dashboard run at once.
DASHBOARD_PARALLEL = 4


class NeedsAuthorization(Exception):
    """The actor has no grant (or a revoked one) on a connection the report queries."""

    def __init__(self, connection: str, message: str) -> None:
        super().__init__(message)
        self.connection = connection


class ContentFailed(Exception):
    """The report could not be built (its target is gone, its query failed); says why."""

    def __init__(self, message: str, run_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.run_ids = list(run_ids)


@dataclass(frozen=True)
class Built:
    """A report, the runs behind it, and its first table (what an alert reads)."""

    report: Report
    run_ids: list[str]
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)


def csv_bytes(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows as CSV (UTF-8, a header line)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def file_name(title: str) -> str:
    """A CSV's name from a title: ``Revenue by region`` -> ``revenue-by-region.csv``."""
    return f"{file_stem(title.lower(), 'data')}.csv"


def _section(
    title: str, columns: list[str], rows: list[list[Any]], png: bytes | None, truncated: bool
) -> Section:
    note = f"Showing the first {len(rows):,} rows." if truncated else None
    return Section(
        title=title,
        png=png,
        columns=columns,
        rows=rows,
        csv=csv_bytes(columns, rows),
        csv_name=file_name(title),
        note=note,
    )


def _failed_run(run: RunRecord) -> Exception:
    """A run that ended without a result, as the error the runner acts on."""
    message = run.error_message or f"The query ended {run.status}."
    if run.error_code == ErrorKind.AUTHORIZATION.value:
        return NeedsAuthorization(run.connection_name, message)
    return ContentFailed(message.split("\n", 1)[0], [run.id])


class ReportBuilder:
    """Build a schedule's report as an actor (``report_for``)."""

    def __init__(
        self,
        execution: ExecutionService,
        chart_data: ChartService,
        charts: Charts,
        saved_queries: SavedQueries,
        dashboards: DashboardService,
        users: Users,
        pools: Pools,
        public_url: str,
    ) -> None:
        self._execution = execution
        self._chart_data = chart_data
        self._charts = charts
        self._saved = saved_queries
        self._dashboards = dashboards
        self._users = users
        self._io = pools.io
        self._public_url = public_url.rstrip("/")

    def link(self, path: str) -> str:
        """An absolute link to a page of this server."""
        return f"{self._public_url}{path}"

    async def report_for(self, schedule: ScheduleRecord, actor: Actor) -> Built:
        """The schedule's report with ``actor``'s rows. Raises ``NeedsAuthorization`` when
        the actor must connect first, ``ContentFailed`` when there is nothing to send."""
        try:
            match schedule.target_kind:
                case TargetKind.SAVED_QUERY:
                    return await self._saved_query(schedule, actor)
                case TargetKind.CHART:
                    return await self._chart(schedule, actor)
                case _:
                    return await self._dashboard(schedule, actor)
        except AuthorizationRequired as exc:
            raise NeedsAuthorization(exc.connection, str(exc)) from None

    async def _saved_query(self, schedule: ScheduleRecord, actor: Actor) -> Built:
        saved = await self._io.run(self._saved.visible, schedule.target_id, schedule.owner_id)
        if saved is None:
            raise ContentFailed(f"Saved query {schedule.target_id} no longer exists.")
        if actor.user_id != schedule.owner_id:  # its SQL may have changed since it was checked
            dialect = await self._chart_data.dialect(saved.connection_name)
            if refused := refusal_as_recipient(dialect, saved.sql):
                raise ContentFailed(refused)
        request = QueryRequest(
            connection=saved.connection_name,
            sql=saved.sql,
            actor=actor,
            surface=Surface.SCHEDULE,
            max_rows=MAX_CSV_ROWS,
            export=True,
            charged_to=schedule.owner_id,
        )
        run = await self._execution.submit(request)
        ended: RunRecord = await self._execution.wait_to_end(run, actor)
        if ended.status != RunStatus.SUCCEEDED:
            raise _failed_run(ended)
        page = await self._execution.page(ended, 0, MAX_CSV_ROWS)
        columns = [f.name for f in page.schema]
        rows = await self._io.run(table_rows, page.rows)
        section = _section(saved.name, columns, rows, None, bool(ended.truncated))
        report = Report(
            subject=schedule.name,
            title=saved.name,
            link=self.link(f"/sqllab?saved={saved.id}"),
            sections=[section],
        )
        return Built(report, [ended.id], columns, rows)

    async def _chart_section(
        self, schedule: ScheduleRecord, chart: ChartRecord, actor: Actor, *, hide_sql: bool
    ) -> tuple[Section, ChartData]:
        try:
            data = await self._chart_data.saved(
                chart,
                actor,
                surface=Surface.SCHEDULE,
                hide_sql=hide_sql,
                charged_to=schedule.owner_id,
            )
        except ChartFailed as exc:
            raise _failed_run(exc.run) from None
        except ChartInvalid as exc:
            raise ContentFailed(str(exc).split("\n", 1)[0]) from None
        try:
            png = await self._chart_data.image(data, "png")
        except NotDrawable:
            png = None
        columns = [name for name, _ in data.columns]
        image = png if isinstance(png, bytes) else None
        return _section(chart.name, columns, data.rows, image, data.truncated), data

    async def _chart(self, schedule: ScheduleRecord, actor: Actor) -> Built:
        chart = await self._io.run(self._charts.owned, schedule.target_id, schedule.owner_id)
        if chart is None:
            raise ContentFailed(f"Chart {schedule.target_id} no longer exists.")
        section, data = await self._chart_section(schedule, chart, actor, hide_sql=False)
        report = Report(
            subject=schedule.name,
            title=chart.name,
            link=self.link(f"/charts/{chart.id}"),
            sections=[section],
        )
        return Built(report, [data.run_id], section.columns, section.rows)

    async def _dashboard(self, schedule: ScheduleRecord, actor: Actor) -> Built:
        """One section per chart tile, each run as the actor; a tile that fails is a section
        saying why (the others still arrive). The dashboard is read as its schedule's owner
        sees it."""
        owner = await self._io.run(self._users.get, schedule.owner_id)
        if owner is None:
            raise ContentFailed("The schedule's owner no longer exists.")
        try:
            view = await self._dashboards.get(owner, schedule.target_id)
        except LookupError:
            raise ContentFailed(f"Dashboard {schedule.target_id} no longer exists.") from None
        charts = [view.charts[i] for i in view.layout.chart_ids() if i in view.charts]
        gate = asyncio.Semaphore(DASHBOARD_PARALLEL)

        async def tile(chart: ChartRecord) -> tuple[Section, str | None]:
            async with gate:
                try:
                    section, data = await self._chart_section(schedule, chart, actor, hide_sql=True)
                except ContentFailed as exc:
                    failed = Section(chart.name, None, [], [], b"", file_name(chart.name), str(exc))
                    return failed, exc.run_ids[0] if exc.run_ids else None
                return section, data.run_id

        tiles = await asyncio.gather(*(tile(c) for c in charts))
        sections = [section for section, _ in tiles]
        report = Report(
            subject=schedule.name,
            title=view.record.title,
            link=self.link(f"/dashboards/{view.record.id}"),
            sections=sections,
        )
        run_ids = [run_id for _, run_id in tiles if run_id is not None]
        first = sections[0] if sections else None
        return Built(report, run_ids, first.columns if first else [], first.rows if first else [])
