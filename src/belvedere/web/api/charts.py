"""Charts: explore (run an unsaved chart), view its SQL, save, change, read data, export.
Cache policy and the rules live in :mod:`belvedere.charts`; handlers parse, call a service
and render."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission
from belvedere.charts.sql import pretty
from belvedere.execution.formats import ExportFormat
from belvedere.filenames import content_disposition, file_stem
from belvedere.store.ids import RowId
from belvedere.warehouses.families import of_type_name
from belvedere.web.api.chart_schemas import (
    ChartDataOut,
    ChartIn,
    ChartOut,
    ChartPatch,
    ChartsOut,
    ChartSqlIn,
    ChartSqlOut,
    ColumnOut,
    ColumnsIn,
    ColumnsOut,
    ExploreIn,
    ThumbnailsOut,
)
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import ServicesDep, actor, require

router = APIRouter(
    prefix="/charts",
    tags=["charts"],
    responses={
        400: {"model": ErrorOut},
        403: {"model": ErrorOut},
        404: {"model": ErrorOut},
        504: {"model": ErrorOut, "description": "The warehouse did not answer in time."},
    },
)
Builder = Annotated[Account, Depends(require(Permission.EDIT_CHARTS))]


@router.post("/columns", response_model=ColumnsOut)
async def source_columns(body: ColumnsIn, user: Builder, services: ServicesDep) -> ColumnsOut:
    """The columns of a table or saved query, to build a chart on (queried as you)."""
    columns = await services.chart_data.source_columns(
        body.connection, body.source, user.id, actor(user)
    )
    return ColumnsOut(
        columns=[ColumnOut(name=n, type=t, family=of_type_name(t)) for n, t in columns]
    )


@router.post("/sql", response_model=ChartSqlOut)
async def chart_sql(body: ChartSqlIn, user: Builder, services: ServicesDep) -> ChartSqlOut:
    """The SQL a chart runs, in the connection's dialect ("View SQL")."""
    sql, dialect = await services.chart_data.statement(body.connection, body.spec, user.id)
    return ChartSqlOut(sql=pretty(sql, dialect), dialect=dialect)


@router.post("/explore", response_model=ChartDataOut)
async def explore(body: ExploreIn, user: Builder, services: ServicesDep) -> ChartDataOut:
    """Run an unsaved chart as you; `force` bypasses the cache (a sum or average of a column
    without numbers: 422 `metric_not_numeric`)."""
    await services.chart_data.check_metrics(body.connection, body.spec, user.id, actor(user))
    data = await services.chart_data.explore(
        body.connection, body.spec, owner_id=user.id, actor=actor(user), force=body.force
    )
    return ChartDataOut.of(data)


@router.get("", response_model=ChartsOut)
async def list_charts(user: Builder, services: ServicesDep) -> ChartsOut:
    """Your charts."""
    charts = await services.charts.list_owned(user.id)
    starred = await services.home.starred(user, "chart")
    return ChartsOut(
        charts=[
            ChartOut.of(c, user.username).model_copy(update={"favourite": c.id in starred})
            for c in charts
        ]
    )


@router.get("/thumbnails", response_model=ThumbnailsOut)
async def chart_thumbnails(user: Builder, services: ServicesDep) -> ThumbnailsOut:
    """The numbers of your charts' small pictures in the list: each one's first metric from
    your own latest result of it since it last changed, while stored (nothing is run)."""
    charts = await services.charts.list_owned(user.id)
    found = await services.chart_thumbnails.of(user.id, charts)
    return ThumbnailsOut(thumbnails={str(k): v for k, v in found.items()})


@router.post("", response_model=ChartOut, status_code=201)
async def create_chart(body: ChartIn, user: Builder, services: ServicesDep) -> ChartOut:
    """Save a chart (its source is queried once, as you, to learn its columns)."""
    chart = await services.charts.create(
        actor(user),
        name=body.name,
        connection=body.connection,
        spec=body.spec,
        cache_ttl_seconds=body.cache_ttl_seconds,
        show_sql_to_viewers=body.show_sql_to_viewers,
        viewers_may_drill=body.viewers_may_drill,
    )
    return ChartOut.of(chart, user.username)


@router.get("/{chart_id}", response_model=ChartOut)
async def get_chart(chart_id: RowId, user: Builder, services: ServicesDep) -> ChartOut:
    """One of your charts."""
    return ChartOut.of(await services.charts.owned(chart_id, user.id), user.username)


@router.patch("/{chart_id}", response_model=ChartOut)
async def change_chart(
    chart_id: RowId, body: ChartPatch, user: Builder, services: ServicesDep
) -> ChartOut:
    """Change your chart."""
    changes = body.model_dump(exclude_unset=True, by_alias=True, exclude={"spec"})
    chart = await services.charts.change(chart_id, actor(user), changes, body.spec)
    return ChartOut.of(chart, user.username)


@router.delete("/{chart_id}", status_code=204)
async def delete_chart(chart_id: RowId, user: Builder, services: ServicesDep) -> Response:
    """Delete your chart (dashboards that show it then show that it is gone)."""
    await services.charts.delete(chart_id, user.id)
    return Response(status_code=204)


@router.get("/{chart_id}/data", response_model=ChartDataOut)
async def chart_data(
    chart_id: RowId, user: Builder, services: ServicesDep, force: bool = False
) -> ChartDataOut:
    """Your chart's data, run as you (from the cache unless `force`)."""
    chart = await services.charts.owned(chart_id, user.id)
    return ChartDataOut.of(await services.chart_data.saved(chart, actor(user), force=force))


MEDIA = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv"}


@router.get(
    "/{chart_id}/export",
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
async def export_chart(
    chart_id: RowId,
    user: Builder,
    services: ServicesDep,
    format: Annotated[Literal["png", "svg", "csv"], Query()] = "png",
) -> Response:
    """Your chart as a PNG or SVG image (drawn on the server) or its data as CSV."""
    chart = await services.charts.owned(chart_id, user.id)
    data = await services.chart_data.saved(chart, actor(user))
    filename = f"{file_stem(chart.name, 'chart')}.{format}"
    headers = {"content-disposition": content_disposition(filename)}
    if format == "csv":
        chunks = await services.execution.export(data.run_id, ExportFormat.CSV)
        return StreamingResponse(chunks, media_type=MEDIA["csv"], headers=headers)
    image = await services.chart_data.image(data, format)
    return Response(image, media_type=MEDIA[format], headers=headers)
