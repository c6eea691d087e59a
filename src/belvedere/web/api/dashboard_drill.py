"""Drill to detail: the rows behind a mark of a dashboard's chart, paged or as CSV, run as
you. The rules live in :mod:`belvedere.dashboards.drill`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr
from starlette.responses import Response

from belvedere.charts.spec import DashboardFilterValue, Name
from belvedere.dashboards.drill import DrillInvalid, DrillQuery, DrillService
from belvedere.dashboards.drill_access import DrillAccess, DrillNotAllowed
from belvedere.execution.formats import ExportFormat
from belvedere.filenames import content_disposition, file_stem
from belvedere.store.ids import RowId
from belvedere.store.saved_queries import SavedQueries
from belvedere.web.api.run_schemas import ResultColumn
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import CurrentUser, ServicesDep, actor
from belvedere.web.errors import ApiError

router = APIRouter(
    prefix="/dashboards",
    tags=["dashboards"],
    responses={
        403: {"model": ErrorOut},
        404: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)
#: Most rows a page holds.
MAX_PAGE = 1000
PointValue = StrictStr | StrictInt | StrictFloat | StrictBool | None


class DrillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: Annotated[list[DashboardFilterValue], Field(max_length=20)] = Field(
        default=[], description="The dashboard's filter values, as its tiles are drawn with."
    )
    point: Annotated[dict[Name, PointValue], Field(max_length=20)] = Field(
        default={},
        description="The mark: `{column: value}` of its dimensions, each a column of the "
        "chart's source (a value on the chart's time axis matches that whole period).",
    )


class DrillPageIn(DrillIn):
    offset: int = Field(default=0, ge=0, le=100_000_000)
    limit: int = Field(default=100, ge=1, le=MAX_PAGE)


class DrillRowsOut(BaseModel):
    columns: list[ResultColumn]
    rows: list[list[Any]]
    offset: int
    limit: int
    total_rows: int = Field(description="Rows the run holds (up to the interactive row cap).")
    truncated: bool = Field(description="There are more rows than the cap let the run hold.")
    next_offset: int | None
    previous_offset: int | None
    sql: str | None = Field(description="The query: only for those shown the chart's SQL.")


async def _query(
    services: ServicesDep, user: CurrentUser, dashboard_id: int, chart_id: int, body: DrillIn
) -> tuple[DrillService, DrillQuery]:
    drill = DrillService(
        services.dashboards,
        services.chart_data,
        services.execution,
        SavedQueries(services.db),
        services.pools.io,
        DrillAccess(services.connections),
    )
    try:
        query = await drill.query(user, dashboard_id, chart_id, body.filters, body.point)
    except DrillInvalid as exc:
        raise ApiError(422, "invalid_drill", str(exc)) from None
    except DrillNotAllowed as exc:
        raise ApiError(403, "drill_not_allowed", str(exc)) from None
    return drill, query


@router.post("/{dashboard_id}/charts/{chart_id}/rows", response_model=DrillRowsOut)
async def drill_rows(
    dashboard_id: RowId,
    chart_id: RowId,
    body: DrillPageIn,
    user: CurrentUser,
    services: ServicesDep,
) -> DrillRowsOut:
    """The rows behind a mark of a chart on a dashboard you may see: its source's rows (not
    aggregated) under the chart's filters, the dashboard's filter values (only its declared
    filters, unless you build charts and may edit it) and the mark's `point`, run as you
    (your identity, caps and deadline). A page of up to 1,000 rows; `next_offset` and
    `previous_offset` page through them. A column of `point` that the chart's source lacks
    answers 422. Seeing the dashboard is not enough: you must own the chart, or its
    connection must query as each user, or you may run SQL, or its owner turned
    `viewers_may_drill` on; otherwise 403 `drill_not_allowed` (the tile's data says
    `can_drill`)."""
    drill, query = await _query(services, user, dashboard_id, chart_id, body)
    found = await drill.rows(query, actor(user), body.offset, body.limit)
    page = found.page
    end = body.offset + len(page.rows)
    return DrillRowsOut(
        columns=[
            ResultColumn(name=c.name, type=c.type, arrow_type=c.arrow_type, family=c.family)
            for c in page.columns
        ],
        rows=page.rows,
        offset=body.offset,
        limit=body.limit,
        total_rows=page.total_rows,
        truncated=found.truncated,
        next_offset=end if end < page.total_rows else None,
        previous_offset=max(body.offset - body.limit, 0) if body.offset > 0 else None,
        sql=found.sql,
    )


@router.post(
    "/{dashboard_id}/charts/{chart_id}/rows/export",
    responses={200: {"content": {"text/csv": {}}}},
)
async def drill_export(
    dashboard_id: RowId,
    chart_id: RowId,
    body: DrillIn,
    user: CurrentUser,
    services: ServicesDep,
) -> Response:
    """The same rows as CSV, all of them up to the export row cap, as
    `<chart>-rows-<yyyy-mm-dd>.csv`."""
    drill, query = await _query(services, user, dashboard_id, chart_id, body)
    chunks = await drill.export(query, actor(user), ExportFormat.CSV)
    stem = file_stem(query.chart.name, "chart")
    filename = f"{stem}-rows-{datetime.now(UTC).date().isoformat()}.csv"
    headers = {"content-disposition": content_disposition(filename)}
    return StreamingResponse(chunks, media_type=ExportFormat.CSV.media_type, headers=headers)
