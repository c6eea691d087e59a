"""The dashboard service: what the web layer calls to list, read, change and share
dashboards and to run their charts as the viewer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from belvedere.auth.account import Account
from belvedere.charts.errors import ChartNotFound
from belvedere.charts.service import ChartData, ChartService
from belvedere.charts.spec import DashboardFilterValue
from belvedere.concurrency import Lane
from belvedere.dashboards.access import Access, access_of, builds_charts, filters_anywhere
from belvedere.dashboards.errors import (
    ColumnRequired,
    DashboardNotFound,
    NotDashboardOwner,
    NotEditor,
    UnknownColumn,
    UnknownUser,
)
from belvedere.dashboards.filters import (
    applicable,
    check_declared,
    check_no_new_columns,
    check_viewer_filters,
)
from belvedere.dashboards.layout import (
    DashboardFilter,
    Layout,
    stored_filters,
    stored_layout,
)
from belvedere.execution.runs import Actor, Surface
from belvedere.store.charts import ChartRecord, Charts
from belvedere.store.dashboards import DashboardRecord, Dashboards, ShareRecord
from belvedere.store.users import Users


@dataclass(frozen=True)
class Share:
    """A dashboard shared with a user (by username) or a role, as viewer or editor."""

    access: str
    user: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class DashboardSummary:
    """A dashboard in a list: what it is and what the reader may do with it."""

    record: DashboardRecord
    access: Access
    owner: str


@dataclass(frozen=True)
class DashboardView:
    """A dashboard as its reader sees it (the shares only for its owner)."""

    record: DashboardRecord
    access: Access
    owner: str
    layout: Layout
    filters: list[DashboardFilter]
    charts: dict[int, ChartRecord]
    """The charts its tiles show (a deleted one left out)."""
    shares: list[Share]


@dataclass(frozen=True)
class TileData:
    """One chart of a dashboard, run as the viewer, and whether they are shown its SQL."""

    data: ChartData
    show_sql: bool
    chart: ChartRecord
    """The chart the tile shows."""


class DashboardService:
    """Dashboards through their rules: visibility, editing, sharing, filters, tiles."""

    def __init__(
        self, dashboards: Dashboards, charts: Charts, users: Users, runner: ChartService, io: Lane
    ) -> None:
        self._dashboards = dashboards
        self._charts = charts
        self._users = users
        self._runner = runner
        self._io = io

    # -- reading -------------------------------------------------------------------------

    def _visible(self, dashboard_id: int, viewer: Account) -> tuple[DashboardRecord, Access]:
        found = self._dashboards.get_for(dashboard_id, viewer.id, viewer.role)
        access = None if found is None else access_of(found[0].owner_id, viewer, found[1])
        if found is None or access is None:
            raise DashboardNotFound(dashboard_id)
        return found[0], access

    def _names(self) -> dict[int, str]:
        return {u.id: u.username for u in self._users.list()}

    def _view(self, record: DashboardRecord, access: Access) -> DashboardView:
        layout = stored_layout(record.layout)
        names = self._names()
        shares = []
        if access is Access.OWNER:
            shares = [
                Share(s.access, names.get(s.user_id) if s.user_id else None, s.role)
                for s in self._dashboards.shares(record.id)
                if s.role is not None or s.user_id in names
            ]
        return DashboardView(
            record=record,
            access=access,
            owner=names.get(record.owner_id, "?"),
            layout=layout,
            filters=stored_filters(record.filters),
            charts=self._charts.many(layout.chart_ids()),
            shares=shares,
        )

    async def list_visible(self, viewer: Account) -> list[DashboardSummary]:
        """Dashboards the viewer owns or that are shared with them (or their role)."""

        def read() -> list[DashboardSummary]:
            names = self._names()
            found = []
            for record, shares in self._dashboards.list_for(viewer.id, viewer.role):
                access = access_of(record.owner_id, viewer, shares)
                if access is not None:
                    found.append(DashboardSummary(record, access, names.get(record.owner_id, "?")))
            return found

        return await self._io.run(read)

    async def get(self, viewer: Account, dashboard_id: int) -> DashboardView:
        """A dashboard the viewer may see (``DashboardNotFound`` otherwise)."""

        def read() -> DashboardView:
            return self._view(*self._visible(dashboard_id, viewer))

        return await self._io.run(read)

    # -- changing ------------------------------------------------------------------------

    async def create(self, viewer: Account, title: str) -> DashboardView:
        """A new, empty dashboard, private to its owner until shared."""

        def write() -> DashboardView:
            return self._view(self._dashboards.create(viewer.id, title), Access.OWNER)

        return await self._io.run(write)

    async def change(
        self, viewer: Account, dashboard_id: int, changes: Mapping[str, Any]
    ) -> DashboardView:
        """Change a dashboard the viewer may edit (``changes``: title, layout, filters,
        refresh_seconds as JSON). A chart tile may show one of the viewer's own charts, or a
        chart the dashboard already shows; only a chart builder adds a filter on a new
        column."""

        def write() -> DashboardView:
            record, access = self._visible(dashboard_id, viewer)
            if not access.can_edit:
                raise NotEditor
            if changes.get("filters") is not None and not builds_charts(viewer):
                wanted = [DashboardFilter.model_validate(f) for f in changes["filters"]]
                check_no_new_columns(stored_filters(record.filters), wanted)
            if changes.get("layout") is not None:
                already = set(stored_layout(record.layout).chart_ids())
                for chart_id in Layout.model_validate(changes["layout"]).chart_ids():
                    if chart_id not in already and self._charts.owned(chart_id, viewer.id) is None:
                        raise ChartNotFound(f"No chart {chart_id} of yours to add.")
            updated = self._dashboards.update(dashboard_id, dict(changes))
            if updated is None:
                raise DashboardNotFound(dashboard_id)
            return self._view(updated, Access.OWNER if updated.owner_id == viewer.id else access)

        return await self._io.run(write)

    async def delete(self, viewer: Account, dashboard_id: int) -> None:
        """Delete the viewer's own dashboard (its charts stay)."""

        def write() -> None:
            record, access = self._visible(dashboard_id, viewer)
            if access is not Access.OWNER:
                raise NotDashboardOwner("Only its owner can delete a dashboard.")
            self._dashboards.delete(record.id)

        await self._io.run(write)

    async def share(
        self, viewer: Account, dashboard_id: int, shares: Sequence[Share]
    ) -> DashboardView:
        """Replace who the viewer's own dashboard is shared with."""

        def write() -> DashboardView:
            record, access = self._visible(dashboard_id, viewer)
            if access is not Access.OWNER:
                raise NotDashboardOwner("Only its owner can share a dashboard.")
            stored = []
            for share in shares:
                target = None
                if share.user is not None:
                    target = self._users.by_username(share.user)
                    if target is None:
                        raise UnknownUser(f"No user {share.user!r}.")
                stored.append(
                    ShareRecord(share.access, target.id if target else None, share.role or None)
                )
            self._dashboards.set_shares(record.id, stored)
            return self._view(record, access)

        return await self._io.run(write)

    # -- running its charts --------------------------------------------------------------

    def _chart_on(
        self, dashboard_id: int, chart_id: int, viewer: Account
    ) -> tuple[DashboardRecord, Access, ChartRecord]:
        """A chart shown on a dashboard the viewer may see; ``ChartNotFound`` otherwise."""
        record, access = self._visible(dashboard_id, viewer)
        chart = None
        if chart_id in stored_layout(record.layout).chart_ids():
            chart = self._charts.get(chart_id)
        if chart is None:
            raise ChartNotFound(f"No chart {chart_id} on dashboard {dashboard_id}.")
        return record, access, chart

    @staticmethod
    def _check_filterable(
        record: DashboardRecord, access: Access, viewer: Account, columns: list[str]
    ) -> None:
        if not filters_anywhere(access, viewer):
            check_declared(stored_filters(record.filters), columns)

    def _check_values(
        self,
        record: DashboardRecord,
        access: Access,
        viewer: Account,
        values: Sequence[DashboardFilterValue],
    ) -> None:
        """Filter values the viewer may apply: on the dashboard's declared filters, or
        cross-filters on a column its charts group by (a chart builder who may edit it: any)."""
        if not filters_anywhere(access, viewer):
            check_viewer_filters(
                stored_filters(record.filters),
                values,
                lambda: self._charts.many(stored_layout(record.layout).chart_ids()).values(),
            )

    async def chart_data(
        self,
        viewer: Account,
        actor: Actor,
        dashboard_id: int,
        chart_id: int,
        values: Sequence[DashboardFilterValue],
        *,
        force: bool,
    ) -> TileData:
        """One chart of a dashboard, run as the viewer with the dashboard's filter values
        that apply to it. Its SQL (and errors quoting it) reach its owner, or everyone if
        the owner turned ``show_sql_to_viewers`` on."""
        record, access, chart = await self._io.run(self._chart_on, dashboard_id, chart_id, viewer)
        await self._io.run(self._check_values, record, access, viewer, values)
        show_sql = shows_sql(chart, viewer)
        data = await self._runner.saved(
            chart,
            actor,
            force=force,
            surface=Surface.DASHBOARD,
            extra_filters=applicable(chart, values),
            hide_sql=not show_sql,
            dashboard_id=dashboard_id,
        )
        return TileData(data, show_sql, chart)

    async def chart_tiles(
        self,
        viewer: Account,
        dashboard_id: int,
        values: Sequence[DashboardFilterValue] = (),
        layout: Mapping[str, Any] | None = None,
        *,
        editing: bool = False,
    ) -> tuple[DashboardRecord, list[tuple[str, ChartRecord]]]:
        """A dashboard the viewer may see (and edit, if ``editing``) and its chart tiles (tile
        id, chart) in tile order, once the filter ``values`` are allowed: of its saved layout,
        or of ``layout`` (one being saved; a chart it may not show, neither on the dashboard
        nor the viewer's, is left out: the save refuses it)."""

        def read() -> tuple[DashboardRecord, list[tuple[str, ChartRecord]]]:
            record, access = self._visible(dashboard_id, viewer)
            if editing and not access.can_edit:
                raise NotEditor
            self._check_values(record, access, viewer, values)
            saved = stored_layout(record.layout)
            tiles = saved.tiles if layout is None else Layout.model_validate(layout).tiles
            shown = set(saved.chart_ids())
            charts = self._charts.many([t.chart_id for t in tiles if t.chart_id is not None])
            found = []
            for tile in tiles:
                chart = charts.get(tile.chart_id) if tile.chart_id is not None else None
                if chart is not None and (chart.id in shown or chart.owner_id == viewer.id):
                    found.append((tile.id, chart))
            return record, found

        return await self._io.run(read)

    async def filter_values(
        self, viewer: Account, actor: Actor, dashboard_id: int, column: str | None
    ) -> list[Any]:
        """The values of a column for a dashboard filter, from the first chart whose source
        has it, queried as the viewer."""
        record, access = await self._io.run(self._visible, dashboard_id, viewer)
        if column is None:
            raise ColumnRequired("Name the column: ?column=NAME.")
        self._check_filterable(record, access, viewer, [column])
        ids = stored_layout(record.layout).chart_ids()
        charts = await self._io.run(self._charts.many, ids)
        chart = next((c for c in charts.values() if column in c.source_columns), None)
        if chart is None:
            raise UnknownColumn(f"No chart of this dashboard has column {column!r}.")
        return await self._runner.distinct_values(
            chart, column, actor, hide_sql=not shows_sql(chart, viewer)
        )


def shows_sql(chart: ChartRecord, viewer: Account) -> bool:
    """Whether ``viewer`` is sent the chart's SQL: its owner, or anyone if the owner says so."""
    return chart.owner_id == viewer.id or chart.show_sql_to_viewers
