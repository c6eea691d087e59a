"""Connections: list and browse (users), add, test, change and remove (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from belvedere.auth.roles import Permission, can
from belvedere.connections.service import (
    ConnectionView,
    secret_fields,
    validate_options,
)
from belvedere.connections.testing import check_saved, check_unsaved
from belvedere.store.models import User
from belvedere.warehouses.registry import BACKENDS, backend_class
from belvedere.web.api.schemas import (
    ConnectionIn,
    ConnectionKindOut,
    ConnectionOut,
    ConnectionPatch,
    ConnectionSummaryOut,
    ConnectionTestIn,
    ErrorOut,
    TestOut,
)
from belvedere.web.deps import ServicesDep, actor, require

router = APIRouter(tags=["connections"], responses={403: {"model": ErrorOut}})
Admin = Annotated[User, Depends(require(Permission.MANAGE_CONNECTIONS))]
Member = Annotated[User, Depends(require(Permission.USE_CONNECTIONS))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}}


@router.get("/connection-kinds", response_model=list[ConnectionKindOut])
def connection_kinds(_: Admin) -> list[ConnectionKindOut]:
    """The kinds of connection this server supports, with the options each takes."""
    kinds = []
    for kind in sorted(BACKENDS):
        cls = backend_class(kind)
        kinds.append(
            ConnectionKindOut(
                kind=kind,
                label=cls.label,
                dialect=cls.quirks.dialect,
                options_schema=cls.options_model.model_json_schema(),
                secret_fields=sorted(secret_fields(cls.options_model)),
            )
        )
    return kinds


#: Who is shown a connection's options (never its secrets): those who query or manage it.
SEE_OPTIONS = (Permission.RUN_SQL, Permission.EDIT_CHARTS, Permission.MANAGE_CONNECTIONS)


def _shown(view: ConnectionView, user: User) -> ConnectionOut | ConnectionSummaryOut:
    """A connection as ``user`` may see it: a viewer, its name and kind only (no path, host,
    port or account); others, its options without secrets."""
    if any(can(user.role, p) for p in SEE_OPTIONS):
        return ConnectionOut.of(view)
    return ConnectionSummaryOut.of(view)


@router.get("/connections", response_model=list[ConnectionOut | ConnectionSummaryOut])
def list_connections(
    user: Member, services: ServicesDep
) -> list[ConnectionOut | ConnectionSummaryOut]:
    """Every connection: its options without secrets, or only its name and kind for viewers."""
    return [_shown(c, user) for c in services.connections.list()]


@router.post(
    "/connections",
    response_model=ConnectionOut,
    status_code=201,
    responses={400: {"model": ErrorOut}},
)
def add_connection(body: ConnectionIn, _: Admin, services: ServicesDep) -> ConnectionOut:
    """Add a connection; its secrets are stored encrypted and never returned."""
    return ConnectionOut.of(
        services.connections.add(body.name, body.kind, body.options, body.timeout_seconds)
    )


@router.post("/connections/test", response_model=TestOut, responses={400: {"model": ErrorOut}})
async def test_unsaved(body: ConnectionTestIn, admin: Admin, services: ServicesDep) -> TestOut:
    """Try options before saving them."""
    given = body.options
    if body.name is not None:
        given = await run_in_threadpool(services.connections.with_stored_secrets, body.name, given)
    options = validate_options(body.kind, given)
    report = await check_unsaved(
        services.execution,
        services.identity,
        actor(admin),
        body.name or "this connection",
        body.kind,
        options,
    )
    return TestOut.of(report)


@router.get(
    "/connections/{name}",
    response_model=ConnectionOut | ConnectionSummaryOut,
    responses=NOT_FOUND,
)
def get_connection(
    name: str, user: Member, services: ServicesDep
) -> ConnectionOut | ConnectionSummaryOut:
    """One connection (only its name and kind for viewers)."""
    return _shown(services.connections.get(name), user)


@router.patch(
    "/connections/{name}",
    response_model=ConnectionOut,
    responses={**NOT_FOUND, 400: {"model": ErrorOut}},
)
def update_connection(
    name: str, body: ConnectionPatch, _: Admin, services: ServicesDep
) -> ConnectionOut:
    """Change options or the deadline; secrets left out keep their stored value."""
    updated = services.connections.update(
        name, body.options, body.timeout_seconds, clear_timeout=body.clear_timeout
    )
    return ConnectionOut.of(updated)


@router.delete("/connections/{name}", status_code=204, responses=NOT_FOUND)
def remove_connection(name: str, _: Admin, services: ServicesDep) -> Response:
    """Remove a connection (its query history stays)."""
    services.connections.remove(name)
    return Response(status_code=204)


@router.post("/connections/{name}/test", response_model=TestOut, responses=NOT_FOUND)
async def test_saved(name: str, admin: Admin, services: ServicesDep) -> TestOut:
    """Try a saved connection as its own account and, if it queries as each user, as you."""
    report = await check_saved(
        services.execution, services.connections, services.identity, actor(admin), name
    )
    return TestOut.of(report)
