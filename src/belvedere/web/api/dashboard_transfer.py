"""Export a dashboard with its charts as one JSON document, and import one as your own. The
document's shape: :mod:`belvedere.dashboards.document`; the rules:
:mod:`belvedere.dashboards.transfer`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission
from belvedere.dashboards.document import DashboardDocument
from belvedere.dashboards.transfer import ConnectionsUnusable, DashboardTransfer, NotExportable
from belvedere.filenames import content_disposition, file_stem
from belvedere.store.ids import RowId
from belvedere.store.saved_queries import SavedQueries
from belvedere.web.api.chart_schemas import DashboardOut
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import ServicesDep, actor, require
from belvedere.web.errors import ApiError

router = APIRouter(
    prefix="/dashboards",
    tags=["dashboards"],
    responses={
        400: {"model": ErrorOut},
        403: {"model": ErrorOut},
        404: {"model": ErrorOut},
        413: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)
Builder = Annotated[Account, Depends(require(Permission.EDIT_CHARTS))]


def _transfer(services: ServicesDep) -> DashboardTransfer:
    return DashboardTransfer(
        services.dashboards,
        services.charts,
        services.chart_data,
        SavedQueries(services.db),
        services.connections,
        services.pools.io,
    )


@router.get(
    "/{dashboard_id}/export",
    responses={200: {"model": DashboardDocument, "content": {"application/json": {}}}},
)
async def export_dashboard(dashboard_id: RowId, user: Builder, services: ServicesDep) -> Response:
    """A dashboard you may see with its charts, as one JSON document (version 1, downloaded
    as `<title>-<yyyy-mm-dd>.dashboard.json`): title, layout, filters, each chart's spec and
    connection (by name), and the SQL of the saved queries they are built on. No users,
    shares, schedules, auto-refresh or secrets. A chart whose SQL you are not shown (another
    person's, not shown to viewers) refuses the export (403)."""
    try:
        document = await _transfer(services).export(user, dashboard_id)
    except NotExportable as exc:
        raise ApiError(403, "not_exportable", str(exc)) from None
    stem = file_stem(document.dashboard.title, "dashboard")
    filename = f"{stem}-{datetime.now(UTC).date().isoformat()}.dashboard.json"
    return Response(
        document.model_dump_json(by_alias=True, indent=2),
        media_type="application/json",
        headers={"content-disposition": content_disposition(filename)},
    )


@router.post("/import", response_model=DashboardOut, status_code=201)
async def import_dashboard(
    body: DashboardDocument, user: Builder, services: ServicesDep
) -> DashboardOut:
    """A new dashboard from an exported document, yours and private: new charts (each source
    queried once as you) and new private saved queries, the document's references remapped
    to them. Its connections are found by name and must be ones you may use here (else 422,
    naming them). A document that does not fit version 1 answers 422 with what is wrong;
    one larger than `BELVEDERE_MAX_REQUEST_BYTES`, 413."""
    try:
        view = await _transfer(services).import_(user, actor(user), body)
    except ConnectionsUnusable as exc:
        raise ApiError(422, "connections_unusable", str(exc), connections=exc.names) from None
    return DashboardOut.of(view)
