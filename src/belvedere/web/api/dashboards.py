"""Dashboards: a grid of charts and markdown, filters, sharing, and each chart's data as the
viewer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ValidationError

from belvedere.auth.roles import Permission, can
from belvedere.charts.service import ChartFailed, ChartInvalid
from belvedere.charts.spec import DashboardFilterValue, Filter
from belvedere.execution.runs import Surface
from belvedere.services import Services
from belvedere.store.dashboards import Access, Share
from belvedere.store.ids import RowId
from belvedere.store.models import Chart, Dashboard, User
from belvedere.web.api.chart_schemas import (
    ChartDataOut,
    DashboardChartOut,
    DashboardDataIn,
    DashboardFilter,
    DashboardIn,
    DashboardOut,
    DashboardPatch,
    DashboardsOut,
    DashboardSummaryOut,
    FilterValuesOut,
    Layout,
    ShareIn,
    SharesIn,
)
from belvedere.web.api.charts import cache_ttl, chart_data_out, stored_spec
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import CurrentUser, ServicesDep, actor, require
from belvedere.web.errors import ApiError, chart_failure, without_sql

router = APIRouter(
    prefix="/dashboards",
    tags=["dashboards"],
    responses={400: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
Builder = Annotated[User, Depends(require(Permission.EDIT_CHARTS))]


def _not_found(dashboard_id: int) -> ApiError:
    return ApiError(404, "dashboard_not_found", f"No dashboard {dashboard_id}.")


def _visible(services: Services, dashboard_id: int, user: User) -> tuple[Dashboard, Access]:
    found = services.dashboards.visible(dashboard_id, user)
    if found is None:
        raise _not_found(dashboard_id)
    return found


def _editable(services: Services, dashboard_id: int, user: User) -> Dashboard:
    dashboard, access = _visible(services, dashboard_id, user)
    if not access.can_edit:
        raise ApiError(403, "not_editor", "You may view this dashboard, not change it.")
    return dashboard


def _layout(dashboard: Dashboard) -> Layout:
    """A stored layout (one written by an older version that no longer parses shows empty
    rather than failing the page; it is kept as it is until the next save)."""
    try:
        return Layout.model_validate(dashboard.layout or {})
    except ValidationError:
        return Layout()


def _filters(dashboard: Dashboard) -> list[DashboardFilter]:
    filters = []
    for raw in dashboard.filters or []:
        try:
            filters.append(DashboardFilter.model_validate(raw))
        except ValidationError:
            continue
    return filters


def _filters_anywhere(access: Access, user: User) -> bool:
    """Whether the user may filter on any column of the dashboard's charts: a chart builder
    who may edit it (trying a filter before saving it). Everyone else filters only on the
    columns the dashboard's filters declare, so a viewer learns nothing a chart doesn't show
    beyond the values the owner chose to offer."""
    return access.can_edit and can(user.role, Permission.EDIT_CHARTS)


def _check_filterable(dashboard: Dashboard, access: Access, user: User, columns: list[str]) -> None:
    """403 unless the user may filter the dashboard on each of ``columns``."""
    if _filters_anywhere(access, user):
        return
    declared = {f.column for f in _filters(dashboard)}
    for column in columns:
        if column not in declared:
            raise ApiError(
                403,
                "filter_not_declared",
                f"This dashboard has no filter on {column!r}: you may filter only on the "
                "dashboard's own filters.",
            )


def _out(services: Services, dashboard: Dashboard, access: Access) -> DashboardOut:
    layout = _layout(dashboard)
    charts = services.charts.many(layout.chart_ids())
    names = {u.id: u.username for u in services.users.list()}
    shares = []
    if access is Access.OWNER:
        shares = [
            ShareIn(user=names.get(s.user_id) if s.user_id else None, role=s.role, access=s.access)
            for s in services.dashboards.shares(dashboard.id)
            if s.role is not None or s.user_id in names
        ]
    return DashboardOut(
        id=dashboard.id,
        title=dashboard.title,
        owner=names.get(dashboard.owner_id, "?"),
        access=access,
        layout=layout,
        filters=_filters(dashboard),
        refresh_seconds=dashboard.refresh_seconds,
        charts={
            str(c.id): DashboardChartOut(
                id=c.id, name=c.name, type=str(c.spec.get("type", "")), connection=c.connection_name
            )
            for c in charts.values()
        },
        shares=shares,
        created_at=dashboard.created_at,
        updated_at=dashboard.updated_at,
    )


@router.get("", response_model=DashboardsOut)
def list_dashboards(user: CurrentUser, services: ServicesDep) -> DashboardsOut:
    """Dashboards you own or that are shared with you (or your role)."""
    names = {u.id: u.username for u in services.users.list()}
    return DashboardsOut(
        dashboards=[
            DashboardSummaryOut(
                id=d.id,
                title=d.title,
                owner=names.get(d.owner_id, "?"),
                access=access,
                updated_at=d.updated_at,
            )
            for d, access in services.dashboards.list_visible(user)
        ]
    )


@router.post("", response_model=DashboardOut, status_code=201)
def create_dashboard(body: DashboardIn, user: Builder, services: ServicesDep) -> DashboardOut:
    """A new, empty dashboard, private to you until you share it."""
    dashboard = services.dashboards.create(user.id, body.title)
    return _out(services, dashboard, Access.OWNER)


@router.get("/{dashboard_id}", response_model=DashboardOut)
def get_dashboard(dashboard_id: RowId, user: CurrentUser, services: ServicesDep) -> DashboardOut:
    """A dashboard you own or that is shared with you."""
    dashboard, access = _visible(services, dashboard_id, user)
    return _out(services, dashboard, access)


@router.patch("/{dashboard_id}", response_model=DashboardOut)
def change_dashboard(
    dashboard_id: RowId, body: DashboardPatch, user: CurrentUser, services: ServicesDep
) -> DashboardOut:
    """Change a dashboard you own or may edit. A chart tile may show one of your own charts,
    or a chart the dashboard already shows."""
    dashboard = _editable(services, dashboard_id, user)
    changes = body.model_dump(exclude_unset=True, mode="json")
    if body.filters is not None and not can(user.role, Permission.EDIT_CHARTS):
        declared = {f.column for f in _filters(dashboard)}
        added = [f.column for f in body.filters if f.column not in declared]
        if added:
            raise ApiError(
                403,
                "not_builder",
                f"Only a chart builder adds a filter on a new column: {added[0]!r}.",
            )
    if body.layout is not None:
        already = set(_layout(dashboard).chart_ids())
        for chart_id in body.layout.chart_ids():
            if chart_id not in already and services.charts.owned(chart_id, user.id) is None:
                raise ApiError(404, "chart_not_found", f"No chart {chart_id} of yours to add.")
    if "refresh_seconds" in changes and body.refresh_seconds is None:
        changes["refresh_seconds"] = None
    updated = services.dashboards.update(dashboard_id, changes)
    if updated is None:
        raise _not_found(dashboard_id)
    access = Access.OWNER if updated.owner_id == user.id else Access.EDITOR
    return _out(services, updated, access)


@router.delete("/{dashboard_id}", status_code=204)
def delete_dashboard(dashboard_id: RowId, user: CurrentUser, services: ServicesDep) -> Response:
    """Delete your dashboard (its charts stay)."""
    dashboard, access = _visible(services, dashboard_id, user)
    if access is not Access.OWNER:
        raise ApiError(403, "not_owner", "Only its owner can delete a dashboard.")
    services.dashboards.delete(dashboard.id)
    return Response(status_code=204)


@router.put("/{dashboard_id}/shares", response_model=DashboardOut)
def share_dashboard(
    dashboard_id: RowId, body: SharesIn, user: CurrentUser, services: ServicesDep
) -> DashboardOut:
    """Share your dashboard with users or roles, as viewers or editors (replaces the list).
    Each viewer's charts run as that viewer, under their own permissions."""
    dashboard, access = _visible(services, dashboard_id, user)
    if access is not Access.OWNER:
        raise ApiError(403, "not_owner", "Only its owner can share a dashboard.")
    shares = []
    for share in body.shares:
        target = None
        if share.user is not None:
            target = services.users.by_username(share.user)
            if target is None:
                raise ApiError(400, "unknown_user", f"No user {share.user!r}.")
        shares.append(
            Share(Access(share.access), target.id if target else None, share.role or None)
        )
    services.dashboards.set_shares(dashboard.id, shares)
    return _out(services, dashboard, access)


def _chart_on(
    services: Services, dashboard_id: int, chart_id: int, user: User
) -> tuple[Dashboard, Access, Chart]:
    """A chart shown on a dashboard the user may see; 404 for anything else."""
    dashboard, access = _visible(services, dashboard_id, user)
    chart = None
    if chart_id in _layout(dashboard).chart_ids():
        chart = services.charts.get(chart_id)
    if chart is None:
        raise ApiError(404, "chart_not_found", f"No chart {chart_id} on dashboard {dashboard_id}.")
    return dashboard, access, chart


def _shows_sql(chart: Chart, user: User) -> bool:
    """Whether ``user`` is sent the chart's SQL: its owner, or anyone if the owner says so."""
    return chart.owner_id == user.id or chart.show_sql_to_viewers


def _without_sql(error: ApiError) -> ApiError:
    """A chart's error as told to someone not shown its SQL: no position in it either."""
    extra = {k: v for k, v in error.extra.items() if k not in ("line", "column")}
    return ApiError(error.status, error.code, without_sql(error.message), **extra)


@contextmanager
def _errors_told(with_sql: bool) -> Iterator[None]:
    """Answer a chart's failure as usual, or without its SQL (see :func:`_without_sql`)."""
    if with_sql:
        yield
        return
    try:
        yield
    except ChartFailed as exc:
        raise _without_sql(chart_failure(exc)) from None
    except ChartInvalid as exc:
        raise _without_sql(ApiError(400, "invalid_chart", str(exc))) from None


def applicable(chart: Chart, values: list[DashboardFilterValue]) -> list[Filter]:
    """The dashboard filters that apply to a chart: those on a column its source has."""
    columns = set(chart.source_columns or ())
    return [f for value in values if value.column in columns for f in value.as_filters()]


@router.post("/{dashboard_id}/charts/{chart_id}/data", response_model=ChartDataOut)
async def dashboard_chart_data(
    dashboard_id: RowId,
    chart_id: RowId,
    body: DashboardDataIn,
    user: CurrentUser,
    services: ServicesDep,
) -> ChartDataOut:
    """One chart of a dashboard, run as you with the dashboard's filter values (those on a
    column the chart's source has); `force` bypasses the cache. Filters must be on the
    dashboard's declared filter columns (403 otherwise), unless you build charts and may edit
    the dashboard. The SQL comes back only to the chart's owner, or to everyone if the owner
    turned `show_sql_to_viewers` on."""
    dashboard, access, chart = await services.execution.io(
        _chart_on, services, dashboard_id, chart_id, user
    )
    _check_filterable(dashboard, access, user, [f.column for f in body.filters])
    spec = stored_spec(chart)
    show_sql = _shows_sql(chart, user)
    with _errors_told(show_sql):
        return await chart_data_out(
            services,
            user,
            chart.connection_name,
            spec,
            chart.owner_id,
            chart,
            body.force,
            Surface.DASHBOARD,
            extra_filters=applicable(chart, body.filters),
            show_sql=show_sql,
        )


@router.get("/{dashboard_id}/filter-values", response_model=FilterValuesOut)
async def filter_values(
    dashboard_id: RowId,
    user: CurrentUser,
    services: ServicesDep,
    column: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
) -> FilterValuesOut:
    """The values of a column for a dashboard filter, from the first chart whose source has
    it, queried as you. The column must be one of the dashboard's filters (403 otherwise),
    unless you build charts and may edit the dashboard."""
    dashboard, access = await services.execution.io(_visible, services, dashboard_id, user)
    if column is None:
        raise ApiError(400, "invalid_request", "Name the column: ?column=NAME.")
    _check_filterable(dashboard, access, user, [column])
    charts = await services.execution.io(services.charts.many, _layout(dashboard).chart_ids())
    chart = next((c for c in charts.values() if column in (c.source_columns or ())), None)
    if chart is None:
        raise ApiError(400, "unknown_column", f"No chart of this dashboard has column {column!r}.")
    with _errors_told(_shows_sql(chart, user)):
        values = await services.chart_data.distinct_values(
            chart.connection_name,
            stored_spec(chart).source,
            column,
            owner_id=chart.owner_id,
            actor=actor(user),
            cache_ttl_seconds=cache_ttl(services, chart),
        )
    return FilterValuesOut(values=values)
