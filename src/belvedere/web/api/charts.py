"""Charts: explore (run an unsaved chart), view its SQL, save, change, read data, export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from belvedere.auth.roles import Permission
from belvedere.charts.render import to_png, to_svg
from belvedere.charts.service import ChartData
from belvedere.charts.spec import ChartSpec, Filter, Source
from belvedere.execution.formats import csv_chunks
from belvedere.execution.runs import Surface
from belvedere.services import Services
from belvedere.store.ids import RowId
from belvedere.store.models import Chart, User
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
)
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import ServicesDep, actor, require
from belvedere.web.errors import ApiError

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
Builder = Annotated[User, Depends(require(Permission.EDIT_CHARTS))]


def cache_ttl(services: Services, chart: Chart | None) -> float:
    """A chart's cache TTL: its own, else the server's default."""
    if chart is not None and chart.cache_ttl_seconds is not None:
        return chart.cache_ttl_seconds
    return services.settings.chart_cache_ttl_seconds


def owned(services: Services, chart_id: int, user: User) -> Chart:
    """The user's chart, else 404 (whether it exists or not)."""
    chart = services.charts.owned(chart_id, user.id)
    if chart is None:
        raise ApiError(404, "chart_not_found", f"No chart {chart_id}.")
    return chart


def stored_spec(chart: Chart) -> ChartSpec:
    """A saved chart's spec (400 if it no longer fits the spec's rules)."""
    try:
        return ChartSpec.model_validate(chart.spec)
    except ValueError as exc:
        raise ApiError(400, "invalid_chart", f"Chart {chart.id} is not valid: {exc}") from exc


async def _source_columns(
    services: Services, connection: str, source: Source, user: User
) -> list[str]:
    columns = await services.chart_data.source_columns(
        connection, source, user.id, actor(user), Surface.CHART
    )
    return [name for name, _ in columns]


@router.post("/columns", response_model=ColumnsOut)
async def source_columns(body: ColumnsIn, user: Builder, services: ServicesDep) -> ColumnsOut:
    """The columns of a table or saved query, to build a chart on (queried as you)."""
    columns = await services.chart_data.source_columns(
        body.connection, body.source, user.id, actor(user), Surface.CHART
    )
    return ColumnsOut(columns=[ColumnOut(name=n, type=t) for n, t in columns])


@router.post("/sql", response_model=ChartSqlOut)
async def chart_sql(body: ChartSqlIn, user: Builder, services: ServicesDep) -> ChartSqlOut:
    """The SQL a chart runs, in the connection's dialect ("View SQL")."""
    sql, dialect = await services.chart_data.statement(body.connection, body.spec, user.id)
    return ChartSqlOut(sql=sql, dialect=dialect)


@router.post("/explore", response_model=ChartDataOut)
async def explore(body: ExploreIn, user: Builder, services: ServicesDep) -> ChartDataOut:
    """Run an unsaved chart as you; `force` bypasses the cache."""
    return await chart_data_out(
        services, user, body.connection, body.spec, user.id, None, body.force
    )


async def run_chart(
    services: Services,
    user: User,
    connection: str,
    spec: ChartSpec,
    owner_id: int,
    chart: Chart | None,
    force: bool = False,
    surface: Surface = Surface.CHART,
    extra_filters: Sequence[Filter] = (),
) -> ChartData:
    """Run a chart as ``user`` (a query that ends without rows raises ``ChartFailed``,
    answered by the error handlers)."""
    return await services.chart_data.data(
        connection,
        spec,
        owner_id=owner_id,
        actor=actor(user),
        surface=surface,
        cache_ttl_seconds=cache_ttl(services, chart),
        force=force,
        extra_filters=extra_filters,
    )


async def chart_data_out(
    services: Services,
    user: User,
    connection: str,
    spec: ChartSpec,
    owner_id: int,
    chart: Chart | None,
    force: bool,
    surface: Surface = Surface.CHART,
    extra_filters: Sequence[Filter] = (),
    show_sql: bool = True,
) -> ChartDataOut:
    """Run a chart as ``user`` and answer with its data (and its SQL if ``show_sql``)."""
    data = await run_chart(
        services, user, connection, spec, owner_id, chart, force, surface, extra_filters
    )
    return ChartDataOut.of(data, spec, show_sql=show_sql)


@router.get("", response_model=ChartsOut)
def list_charts(user: Builder, services: ServicesDep) -> ChartsOut:
    """Your charts."""
    return ChartsOut(
        charts=[ChartOut.of(c, user.username) for c in services.charts.list_owned(user.id)]
    )


@router.post("", response_model=ChartOut, status_code=201)
async def create_chart(body: ChartIn, user: Builder, services: ServicesDep) -> ChartOut:
    """Save a chart (its source is queried once, as you, to learn its columns)."""
    columns = await _source_columns(services, body.connection, body.spec.source, user)
    chart = await run_in_threadpool(
        services.charts.create,
        user.id,
        name=body.name,
        connection_name=body.connection,
        spec=body.spec.model_dump(mode="json", by_alias=True),
        source_columns=columns,
        cache_ttl_seconds=body.cache_ttl_seconds,
        show_sql_to_viewers=body.show_sql_to_viewers,
    )
    return ChartOut.of(chart, user.username)


@router.get("/{chart_id}", response_model=ChartOut)
def get_chart(chart_id: RowId, user: Builder, services: ServicesDep) -> ChartOut:
    """One of your charts."""
    return ChartOut.of(owned(services, chart_id, user), user.username)


@router.patch("/{chart_id}", response_model=ChartOut)
async def change_chart(
    chart_id: RowId, body: ChartPatch, user: Builder, services: ServicesDep
) -> ChartOut:
    """Change your chart."""
    chart = await run_in_threadpool(owned, services, chart_id, user)
    changes = body.model_dump(exclude_unset=True, by_alias=True)
    if "connection" in changes:
        changes["connection_name"] = changes.pop("connection")
    if body.spec is not None or "connection_name" in changes:
        spec = body.spec or stored_spec(chart)
        connection = changes.get("connection_name", chart.connection_name)
        changes["source_columns"] = await _source_columns(services, connection, spec.source, user)
        changes["spec"] = spec.model_dump(mode="json", by_alias=True)
    updated = await run_in_threadpool(services.charts.update, chart_id, user.id, changes)
    if updated is None:
        raise ApiError(404, "chart_not_found", f"No chart {chart_id}.")
    return ChartOut.of(updated, user.username)


@router.delete("/{chart_id}", status_code=204)
def delete_chart(chart_id: RowId, user: Builder, services: ServicesDep) -> Response:
    """Delete your chart (dashboards that show it then show that it is gone)."""
    if not services.charts.delete(chart_id, user.id):
        raise ApiError(404, "chart_not_found", f"No chart {chart_id}.")
    return Response(status_code=204)


@router.get("/{chart_id}/data", response_model=ChartDataOut)
async def chart_data(
    chart_id: RowId, user: Builder, services: ServicesDep, force: bool = False
) -> ChartDataOut:
    """Your chart's data, run as you (from the cache unless `force`)."""
    chart = await run_in_threadpool(owned, services, chart_id, user)
    spec = stored_spec(chart)
    return await chart_data_out(services, user, chart.connection_name, spec, user.id, chart, force)


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
    chart = await run_in_threadpool(owned, services, chart_id, user)
    spec = stored_spec(chart)
    data = await run_chart(services, user, chart.connection_name, spec, user.id, chart)
    filename = f"{_slug(chart.name)}.{format}"
    headers = {"content-disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        store = services.execution.results
        schema = await services.execution.io(store.schema, data.run_id)
        chunks = csv_chunks(schema, store.batches(data.run_id))
        return StreamingResponse(chunks, media_type=MEDIA["csv"], headers=headers)
    drawing = data.drawing(spec)
    if drawing is None:
        raise ApiError(
            400, "not_drawable", f"A {spec.type.value} chart is a table: export it as CSV."
        )
    if format == "svg":
        svg = await services.execution.io(to_svg, drawing)
        return Response(svg, media_type=MEDIA["svg"], headers=headers)
    png = await services.execution.io(to_png, drawing)
    return Response(png, media_type=MEDIA["png"], headers=headers)


def _slug(name: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")
    return kept[:80] or "chart"
