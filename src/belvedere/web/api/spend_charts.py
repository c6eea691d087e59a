"""The Spend page's charts: drawn by the chart service on the built-in connection ``belvedere``
as the asker (their own runs; an admin's: everyone's), so that viewers, who cannot explore,
see their own spend too."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from belvedere.auth.roles import Role
from belvedere.charts.spend import SPEND_CHARTS, SpendMetric
from belvedere.warehouses.internal.spend import INTERNAL_CONNECTION
from belvedere.web.api.chart_schemas import ChartDataOut
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import CurrentUser, ServicesDep, actor
from belvedere.web.errors import ApiError

router = APIRouter(
    prefix="/spend/charts",
    tags=["costs"],
    responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
#: How long a drawn spend chart is reused (spend moves as people query).
CACHE_TTL_SECONDS = 60.0
#: The period shown when none is asked for: the last 30 days.
DEFAULT_DAYS = 30


@router.get("/{name}", response_model=ChartDataOut)
async def spend_chart(
    name: str,
    user: CurrentUser,
    services: ServicesDep,
    since: Annotated[
        date | None, Query(description="First day (yours); default: 29 days ago.")
    ] = None,
    until: Annotated[date | None, Query(description="Last day (yours); default today.")] = None,
    metric: SpendMetric = SpendMetric.BYTES_BILLED,
    refresh: Annotated[bool, Query(description="Run again rather than from the cache.")] = False,
) -> ChartDataOut:
    """One chart of the Spend page (`over_time`, `by_user` (admins), `by_connection`,
    `by_dashboard`, `by_surface`) over your runs (an admin's: everyone's)."""
    chart = SPEND_CHARTS.get(name)
    if chart is None:
        known = ", ".join(SPEND_CHARTS)
        raise ApiError(404, "not_found", f"No spend chart named {name!r} (known: {known}).")
    if chart.admins_only and user.role != Role.ADMIN:
        raise ApiError(403, "forbidden", "Only admins see spend by user.")
    if until is None:
        zone = await services.pools.io.run(services.costs.zone, user.id)
        until = datetime.now(zone).date()
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise ApiError(400, "invalid_request", "The period starts after it ends.")
    data = await services.chart_data.explore(
        INTERNAL_CONNECTION,
        chart.spec(since, until, metric),
        owner_id=user.id,
        actor=actor(user),
        force=refresh,
        cache_ttl_seconds=CACHE_TTL_SECONDS,
    )
    return ChartDataOut.of(data)
