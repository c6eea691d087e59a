"""Saved queries: keep, share, change and run them (as yourself, whoever saved them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission
from belvedere.execution.runs import Surface
from belvedere.queries.service import SavedQueryView
from belvedere.store.ids import RowId
from belvedere.web.api.answers import run_and_answer
from belvedere.web.api.run_schemas import RunErrorOut, RunOut
from belvedere.web.api.schemas import MAX_SQL_CHARS, ErrorOut, Patch
from belvedere.web.deps import ServicesDep, require

router = APIRouter(
    prefix="/saved-queries",
    tags=["saved queries"],
    responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
Analyst = Annotated[Account, Depends(require(Permission.RUN_SQL))]


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
    favourite: bool = Field(default=False, description="In lists: whether you starred it (Home).")

    @classmethod
    def of(cls, view: SavedQueryView, user: Account) -> SavedQueryOut:
        saved = view.record
        return cls(
            id=saved.id,
            connection=saved.connection_name,
            name=saved.name,
            sql=saved.sql,
            description=saved.description,
            shared=saved.shared,
            mine=saved.owner_id == user.id,
            owner=view.owner,
            created_at=saved.created_at,
            updated_at=saved.updated_at,
        )


class SavedRunIn(BaseModel):
    surface: str = Field(default="api", pattern="^(api|sqllab)$")
    wait_ms: int = Field(default=1000, ge=0, le=30_000)
    page_size: int = Field(default=100, ge=0, le=1000)
    timeout_seconds: float | None = Field(default=None, gt=0, le=86400)


@router.get("", response_model=list[SavedQueryOut])
async def list_saved(user: Analyst, services: ServicesDep) -> list[SavedQueryOut]:
    """Your saved queries and the shared ones."""
    found = await services.saved_queries.list_visible(user)
    starred = await services.home.starred(user, "saved_query")
    return [
        SavedQueryOut.of(view, user).model_copy(update={"favourite": view.record.id in starred})
        for view in found
    ]


@router.post("", response_model=SavedQueryOut, status_code=201)
async def save(body: SavedQueryIn, user: Analyst, services: ServicesDep) -> SavedQueryOut:
    """Save a query (private unless `shared`)."""
    view = await services.saved_queries.create(user, **body.model_dump())
    return SavedQueryOut.of(view, user)


@router.get("/{saved_id}", response_model=SavedQueryOut)
async def get_saved(saved_id: RowId, user: Analyst, services: ServicesDep) -> SavedQueryOut:
    """One saved query you own or that is shared."""
    return SavedQueryOut.of(await services.saved_queries.get(user, saved_id), user)


@router.patch("/{saved_id}", response_model=SavedQueryOut)
async def change(
    saved_id: RowId, body: SavedQueryPatch, user: Analyst, services: ServicesDep
) -> SavedQueryOut:
    """Change your saved query."""
    changes = body.model_dump(exclude_unset=True)
    return SavedQueryOut.of(await services.saved_queries.change(user, saved_id, changes), user)


@router.delete("/{saved_id}", status_code=204)
async def delete(saved_id: RowId, user: Analyst, services: ServicesDep) -> Response:
    """Delete your saved query."""
    await services.saved_queries.delete(user, saved_id)
    return Response(status_code=204)


@router.post(
    "/{saved_id}/run",
    response_model=RunOut,
    responses={202: {"model": RunOut}, 400: {"model": RunErrorOut}},
)
async def run_saved(
    saved_id: RowId, body: SavedRunIn, user: Analyst, services: ServicesDep
) -> Response:
    """Run a saved query as yourself (your identity on the warehouse, your history)."""
    saved = await services.saved_queries.visible(user, saved_id)
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
