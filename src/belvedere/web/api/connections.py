"""Connections: list and browse (users), add, test, change and remove (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission, can
from belvedere.connections.service import ConnectionView, secret_fields
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
Admin = Annotated[Account, Depends(require(Permission.MANAGE_CONNECTIONS))]
Member = Annotated[Account, Depends(require(Permission.USE_CONNECTIONS))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}}


@router.get("/connection-kinds", response_model=list[ConnectionKindOut])
async def connection_kinds(_: Admin, services: ServicesDep) -> list[ConnectionKindOut]:
    """The kinds of connection this server supports, with the options each takes."""
    classes = await services.pools.io.run(lambda: [backend_class(k) for k in sorted(BACKENDS)])
    return [
        ConnectionKindOut(
            kind=kind,
            label=cls.label,
            dialect=cls.quirks.dialect,
            options_schema=cls.options_model.model_json_schema(),
            secret_fields=sorted(secret_fields(cls.options_model)),
        )
        for kind, cls in zip(sorted(BACKENDS), classes, strict=True)
    ]


#: Who is offered the built-in connection: those who query or build charts.
QUERY = (Permission.RUN_SQL, Permission.EDIT_CHARTS)
#: Who is shown a connection's options (never its secrets): those who query or manage it.
SEE_OPTIONS = (Permission.RUN_SQL, Permission.EDIT_CHARTS, Permission.MANAGE_CONNECTIONS)


def _shown(view: ConnectionView, user: Account) -> ConnectionOut | ConnectionSummaryOut:
    """A connection as ``user`` may see it: a viewer, its name and kind only (no path, host,
    port or account); others, its options without secrets."""
    if any(can(user.role, p) for p in SEE_OPTIONS):
        return ConnectionOut.of(view)
    return ConnectionSummaryOut.of(view)


@router.get("/connections", response_model=list[ConnectionOut | ConnectionSummaryOut])
async def list_connections(
    user: Member,
    services: ServicesDep,
    built_in: Annotated[
        bool,
        Query(
            description="Add the built-in connection `belvedere` at the end (SQL over your "
            "own runs; an admin's: everyone's) for those who query or build charts."
        ),
    ] = False,
) -> list[ConnectionOut | ConnectionSummaryOut]:
    """Every connection: its options without secrets, or only its name and kind for viewers."""
    views = await services.pools.io.run(services.connections.list)
    internal = services.connections.internal
    if built_in and internal is not None and any(can(user.role, p) for p in QUERY):
        views.append(internal.view)
    return [_shown(c, user) for c in views]


@router.post(
    "/connections",
    response_model=ConnectionOut,
    status_code=201,
    responses={400: {"model": ErrorOut}},
)
async def add_connection(body: ConnectionIn, _: Admin, services: ServicesDep) -> ConnectionOut:
    """Add a connection; its secrets are stored encrypted and never returned."""
    added = await services.pools.io.run(
        services.connections.add, body.name, body.kind, body.options, body.timeout_seconds
    )
    return ConnectionOut.of(added)


@router.post("/connections/test", response_model=TestOut, responses={400: {"model": ErrorOut}})
async def test_unsaved(body: ConnectionTestIn, admin: Admin, services: ServicesDep) -> TestOut:
    """Try options before saving them (with `name`, the stored secrets fill blank ones)."""
    report = await services.connections.test_unsaved(
        body.kind, body.options, actor(admin), body.name
    )
    return TestOut.of(report)


@router.get(
    "/connections/{name}",
    response_model=ConnectionOut | ConnectionSummaryOut,
    responses=NOT_FOUND,
)
async def get_connection(
    name: str, user: Member, services: ServicesDep
) -> ConnectionOut | ConnectionSummaryOut:
    """One connection (only its name and kind for viewers)."""
    return _shown(await services.pools.io.run(services.connections.get, name), user)


@router.patch(
    "/connections/{name}",
    response_model=ConnectionOut,
    responses={**NOT_FOUND, 400: {"model": ErrorOut}},
)
async def update_connection(
    name: str, body: ConnectionPatch, _: Admin, services: ServicesDep
) -> ConnectionOut:
    """Change options or the deadline; secrets left out keep their stored value."""
    updated = await services.pools.io.run(
        lambda: services.connections.update(
            name, body.options, body.timeout_seconds, clear_timeout=body.clear_timeout
        )
    )
    return ConnectionOut.of(updated)


@router.delete("/connections/{name}", status_code=204, responses=NOT_FOUND)
async def remove_connection(name: str, _: Admin, services: ServicesDep) -> Response:
    """Remove a connection (its query history stays)."""
    await services.pools.io.run(services.connections.remove, name)
    return Response(status_code=204)


@router.post("/connections/{name}/test", response_model=TestOut, responses=NOT_FOUND)
async def test_saved(name: str, admin: Admin, services: ServicesDep) -> TestOut:
    """Try a saved connection as its own account and, if it queries as each user, as you."""
    return TestOut.of(await services.connections.test(name, actor(admin)))
