"""Connections: list and browse (users), add, test, change and remove (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from belvedere.auth.roles import Permission
from belvedere.connections.service import build_warehouse, secret_fields, validate_options
from belvedere.connections.testing import check_connection
from belvedere.store.models import User
from belvedere.warehouses.registry import BACKENDS, backend_class
from belvedere.web.api.schemas import (
    ConnectionIn,
    ConnectionKindOut,
    ConnectionOut,
    ConnectionPatch,
    ConnectionTestIn,
    ErrorOut,
    TestOut,
)
from belvedere.web.deps import ServicesDep, require

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


@router.get("/connections", response_model=list[ConnectionOut])
def list_connections(user: Member, services: ServicesDep) -> list[ConnectionOut]:
    """Every connection (options without secrets)."""
    return [ConnectionOut.of(c) for c in services.connections.list()]


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
    warehouse = build_warehouse(body.kind, options)
    try:
        outcome = await check_connection(services.execution, warehouse)
    finally:
        await run_in_threadpool(warehouse.close)
    return TestOut(ok=outcome.ok, message=outcome.message, elapsed_ms=outcome.elapsed_ms)


@router.get("/connections/{name}", response_model=ConnectionOut, responses=NOT_FOUND)
def get_connection(name: str, _: Member, services: ServicesDep) -> ConnectionOut:
    """One connection."""
    return ConnectionOut.of(services.connections.get(name))


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
    services.catalog.forget(name)
    return ConnectionOut.of(updated)


@router.delete("/connections/{name}", status_code=204, responses=NOT_FOUND)
def remove_connection(name: str, _: Admin, services: ServicesDep) -> Response:
    """Remove a connection (its query history stays)."""
    services.connections.remove(name)
    services.catalog.forget(name)
    return Response(status_code=204)


@router.post("/connections/{name}/test", response_model=TestOut, responses=NOT_FOUND)
async def test_saved(name: str, admin: Admin, services: ServicesDep) -> TestOut:
    """Try a saved connection."""
    warehouse = await run_in_threadpool(services.connections.warehouse, name)
    outcome = await check_connection(services.execution, warehouse)
    return TestOut(ok=outcome.ok, message=outcome.message, elapsed_ms=outcome.elapsed_ms)
