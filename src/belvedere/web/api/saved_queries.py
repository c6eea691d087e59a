"""Saved queries: keep, share, change and run them (as yourself, whoever saved them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from belvedere.auth.roles import Permission
from belvedere.execution.runs import Surface
from belvedere.store.ids import RowId
from belvedere.store.models import SavedQuery, User
from belvedere.store.saved_queries import NotOwner
from belvedere.web.api.run_schemas import RunErrorOut, RunOut
from belvedere.web.api.runs import run_and_answer
from belvedere.web.api.schemas import MAX_SQL_CHARS, ErrorOut, Patch
from belvedere.web.deps import ServicesDep, require
from belvedere.web.errors import ApiError

router = APIRouter(
    prefix="/saved-queries",
    tags=["saved queries"],
    responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
Analyst = Annotated[User, Depends(require(Permission.RUN_SQL))]


class SavedQueryIn(BaseModel):
    connection: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    sql: str = Field(min_length=1, max_length=MAX_SQL_CHARS)
    description: str = Field(default="", max_length=5000)
    shared: bool = Field(default=False, description="Visible to everyone who runs SQL.")


class SavedQueryPatch(Patch):
    connection: str | None = Field(default=None, min_length=1, max_length=100)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    sql: str | None = Field(default=None, min_length=1, max_length=MAX_SQL_CHARS)
    description: str | None = Field(default=None, max_length=5000)
    shared: bool | None = None


class SavedQueryOut(BaseModel):
    id: int
    connection: str
    name: str
    sql: str
    description: str
    shared: bool
    mine: bool = Field(description="Whether you own it (and may change it).")
    owner: str = Field(description="Username of its owner.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, saved: SavedQuery, user: User, owner: str) -> SavedQueryOut:
        return cls(
            id=saved.id,
            connection=saved.connection_name,
            name=saved.name,
            sql=saved.sql,
            description=saved.description,
            shared=saved.shared,
            mine=saved.owner_id == user.id,
            owner=owner,
            created_at=saved.created_at,
            updated_at=saved.updated_at,
        )


class SavedRunIn(BaseModel):
    surface: str = Field(default="api", pattern="^(api|sqllab)$")
    wait_ms: int = Field(default=1000, ge=0, le=30_000)
    page_size: int = Field(default=100, ge=0, le=1000)
    timeout_seconds: float | None = Field(default=None, gt=0, le=86400)


def _not_found(saved_id: int) -> ApiError:
    return ApiError(404, "saved_query_not_found", f"No saved query {saved_id}.")


def _out(services: ServicesDep, saved: SavedQuery, user: User) -> SavedQueryOut:
    owner = user if saved.owner_id == user.id else services.users.get(saved.owner_id)
    return SavedQueryOut.of(saved, user, owner.username if owner else "?")


def _visible(services: ServicesDep, saved_id: int, user: User) -> SavedQuery:
    saved = services.saved_queries.visible(saved_id, user.id)
    if saved is None:
        raise _not_found(saved_id)
    return saved


@router.get("", response_model=list[SavedQueryOut])
def list_saved(user: Analyst, services: ServicesDep) -> list[SavedQueryOut]:
    """Your saved queries and the shared ones."""
    names = {u.id: u.username for u in services.users.list()}
    return [
        SavedQueryOut.of(s, user, names.get(s.owner_id, "?"))
        for s in services.saved_queries.list_visible(user.id)
    ]


@router.post("", response_model=SavedQueryOut, status_code=201)
def save(body: SavedQueryIn, user: Analyst, services: ServicesDep) -> SavedQueryOut:
    """Save a query (private unless `shared`)."""
    services.connections.get(body.connection)  # 404 for an unknown connection
    saved = services.saved_queries.create(
        user.id,
        connection=body.connection,
        name=body.name,
        sql=body.sql,
        description=body.description,
        shared=body.shared,
    )
    return _out(services, saved, user)


@router.get("/{saved_id}", response_model=SavedQueryOut)
def get_saved(saved_id: RowId, user: Analyst, services: ServicesDep) -> SavedQueryOut:
    """One saved query you own or that is shared."""
    return _out(services, _visible(services, saved_id, user), user)


@router.patch("/{saved_id}", response_model=SavedQueryOut)
def change(
    saved_id: RowId, body: SavedQueryPatch, user: Analyst, services: ServicesDep
) -> SavedQueryOut:
    """Change your saved query."""
    changes = body.model_dump(exclude_unset=True)
    if "connection" in changes:
        services.connections.get(changes["connection"])
        changes["connection_name"] = changes.pop("connection")
    try:
        saved = services.saved_queries.update(saved_id, user.id, changes)
    except NotOwner as exc:
        raise ApiError(403, "not_owner", str(exc)) from None
    if saved is None:
        raise _not_found(saved_id)
    return _out(services, saved, user)


@router.delete("/{saved_id}", status_code=204)
def delete(saved_id: RowId, user: Analyst, services: ServicesDep) -> Response:
    """Delete your saved query."""
    try:
        deleted = services.saved_queries.delete(saved_id, user.id)
    except NotOwner as exc:
        raise ApiError(403, "not_owner", str(exc)) from None
    if not deleted:
        raise _not_found(saved_id)
    return Response(status_code=204)


@router.post(
    "/{saved_id}/run",
    response_model=RunOut,
    responses={202: {"model": RunOut}, 400: {"model": RunErrorOut}},
)
async def run_saved(
    saved_id: RowId, body: SavedRunIn, user: Analyst, services: ServicesDep
) -> JSONResponse:
    """Run a saved query as yourself (your identity on the warehouse, your history)."""
    saved = await run_in_threadpool(_visible, services, saved_id, user)
    return await run_and_answer(
        services,
        user,
        connection=saved.connection_name,
        sql=saved.sql,
        surface=Surface(body.surface),
        wait_ms=body.wait_ms,
        page_size=body.page_size,
        timeout_seconds=body.timeout_seconds,
    )
