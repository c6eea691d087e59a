"""Dashboards: a grid of charts and markdown, filters, sharing, and each chart's data as the
viewer. The rules live in :mod:`belvedere.dashboards`; each handler parses, calls the
dashboard service once and renders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission
from belvedere.dashboards.drill_access import DrillAccess
from belvedere.store.ids import RowId
from belvedere.web.api.chart_schemas import (
    ChartDataOut,
    DashboardDataIn,
    DashboardIn,
    DashboardOut,
    DashboardPatch,
    DashboardsOut,
    DashboardSummaryOut,
    FilterValuesOut,
    SharesIn,
)
from belvedere.web.api.estimate_schemas import DashboardEstimateIn, DashboardEstimateOut
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import CurrentUser, ServicesDep, actor, require

router = APIRouter(
    prefix="/dashboards",
    tags=["dashboards"],
    responses={
        400: {"model": ErrorOut},
        403: {"model": ErrorOut},
        404: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)
Builder = Annotated[Account, Depends(require(Permission.EDIT_CHARTS))]


@router.get("", response_model=DashboardsOut)
async def list_dashboards(user: CurrentUser, services: ServicesDep) -> DashboardsOut:
    """Dashboards you own or that are shared with you (or your role)."""
    found = await services.dashboards.list_visible(user)
    starred = await services.home.starred(user, "dashboard")
    return DashboardsOut(
        dashboards=[
            DashboardSummaryOut.of(d).model_copy(update={"favourite": d.record.id in starred})
            for d in found
        ]
    )


@router.post("", response_model=DashboardOut, status_code=201)
async def create_dashboard(body: DashboardIn, user: Builder, services: ServicesDep) -> DashboardOut:
    """A new, empty dashboard, private to you until you share it."""
    return DashboardOut.of(await services.dashboards.create(user, body.title))


@router.get("/{dashboard_id}", response_model=DashboardOut)
async def get_dashboard(
    dashboard_id: RowId, user: CurrentUser, services: ServicesDep
) -> DashboardOut:
    """A dashboard you own or that is shared with you."""
    return DashboardOut.of(await services.dashboards.get(user, dashboard_id))


@router.patch("/{dashboard_id}", response_model=DashboardOut)
async def change_dashboard(
    dashboard_id: RowId, body: DashboardPatch, user: CurrentUser, services: ServicesDep
) -> DashboardOut:
    """Change a dashboard you own or may edit. A chart tile may show one of your own charts,
    or a chart the dashboard already shows. An auto-refresh interval whose charts would bill
    more in a day than is left of your budgets is refused (422 `refresh_over_budget`, with
    the arithmetic); it is checked when set or shortened, or when charts are added."""
    changes = body.model_dump(exclude_unset=True, mode="json")
    if changes.get("refresh_seconds") is not None or "layout" in changes:
        await services.dashboard_costs.check_refresh(user, actor(user), dashboard_id, changes)
    return DashboardOut.of(await services.dashboards.change(user, dashboard_id, changes))


@router.delete("/{dashboard_id}", status_code=204)
async def delete_dashboard(
    dashboard_id: RowId, user: CurrentUser, services: ServicesDep
) -> Response:
    """Delete your dashboard (its charts stay)."""
    await services.dashboards.delete(user, dashboard_id)
    return Response(status_code=204)


@router.put("/{dashboard_id}/shares", response_model=DashboardOut)
async def share_dashboard(
    dashboard_id: RowId, body: SharesIn, user: CurrentUser, services: ServicesDep
) -> DashboardOut:
    """Share your dashboard with users or roles, as viewers or editors (replaces the list).
    Each viewer's charts run as that viewer, under their own permissions."""
    shares = [share.share() for share in body.shares]
    return DashboardOut.of(await services.dashboards.share(user, dashboard_id, shares))


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
    dashboard's declared filter columns, or be cross-filters (a list of values of a column one
    of its charts groups by), 403 otherwise, unless you build charts and may edit the
    dashboard. A date range whose start is after its end is refused (422). The SQL comes back
    only to the chart's owner, or to everyone if the owner turned `show_sql_to_viewers` on;
    `can_drill` says whether you may see the rows behind its marks."""
    tile = await services.dashboards.chart_data(
        user, actor(user), dashboard_id, chart_id, body.filters, force=body.force
    )
    drill = DrillAccess(services.connections)
    can_drill = await services.pools.io.run(drill.allows, tile.chart, user)
    return ChartDataOut.of(tile.data, show_sql=tile.show_sql, can_drill=can_drill)


@router.post("/{dashboard_id}/estimate", response_model=DashboardEstimateOut)
async def estimate_dashboard(
    dashboard_id: RowId, body: DashboardEstimateIn, user: CurrentUser, services: ServicesDep
) -> DashboardEstimateOut:
    """What a force refresh would process: each chart's dry run as you, with these filter
    values (BigQuery's dry run: free, nothing runs). `confirm` says to ask first: above
    `BELVEDERE_REFRESH_CONFIRM_BYTES`, or above your budget left on a connection.
    `applies` is false when no chart is on a warehouse that bills by bytes."""
    found = await services.dashboard_costs.estimate(user, actor(user), dashboard_id, body.filters)
    settings = services.settings
    return DashboardEstimateOut.of(
        found, price_per_tib=settings.price_per_tib, currency=settings.currency
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
    values = await services.dashboards.filter_values(user, actor(user), dashboard_id, column)
    return FilterValuesOut(values=values)
