"""The Home page's data: your favourites (star and unstar what you may see) and what you used
lately. Everything listed is checked against your access when read."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from belvedere.home.service import Item, Kind
from belvedere.store.favourites import RecentRun
from belvedere.store.ids import RowId
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import CurrentUser, ServicesDep

router = APIRouter(
    prefix="/me",
    tags=["me"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


class ItemOut(BaseModel):
    kind: Kind
    id: int
    name: str
    owner: str = Field(description="Username of its owner.")
    mine: bool = Field(description="Whether you own it.")
    url: str = Field(description="The page that opens it.")
    updated_at: datetime
    at: datetime | None = Field(
        description="When you starred it (a favourite), or last opened or changed it (recent)."
    )

    @classmethod
    def of(cls, item: Item, user_id: int) -> ItemOut:
        return cls(
            kind=item.kind,
            id=item.id,
            name=item.name,
            owner=item.owner,
            mine=item.owner_id == user_id,
            url=item.url,
            updated_at=item.updated_at,
            at=item.at,
        )


class FavouritesOut(BaseModel):
    favourites: list[ItemOut] = Field(description="Newest first.")


class RecentQueryOut(BaseModel):
    run_id: str
    connection: str
    sql: str
    status: str
    submitted_at: datetime

    @classmethod
    def of(cls, run: RecentRun) -> RecentQueryOut:
        return cls(
            run_id=run.run_id,
            connection=run.connection_name,
            sql=run.sql,
            status=run.status,
            submitted_at=run.submitted_at,
        )


class RecentOut(BaseModel):
    queries: list[RecentQueryOut] = Field(
        description="Your latest runs in SQL Lab or the API, one per distinct query."
    )
    charts: list[ItemOut] = Field(description="Charts you opened or changed lately.")
    dashboards: list[ItemOut] = Field(
        description="Dashboards you opened lately, and your own you changed."
    )


@router.get("/favourites", response_model=FavouritesOut)
async def favourites(user: CurrentUser, services: ServicesDep) -> FavouritesOut:
    """Your favourite charts, dashboards and saved queries that you may still open."""
    found = await services.home.favourites(user)
    return FavouritesOut(favourites=[ItemOut.of(item, user.id) for item in found])


@router.put("/favourites/{kind}/{object_id}", response_model=ItemOut)
async def star(kind: Kind, object_id: RowId, user: CurrentUser, services: ServicesDep) -> ItemOut:
    """Star a chart, dashboard or saved query you may open (404 otherwise, as for one that
    does not exist). Starring it again changes nothing."""
    return ItemOut.of(await services.home.star(user, kind, object_id), user.id)


@router.delete("/favourites/{kind}/{object_id}", status_code=204)
async def unstar(
    kind: Kind, object_id: RowId, user: CurrentUser, services: ServicesDep
) -> Response:
    """Unstar (204 whether or not it was starred)."""
    await services.home.unstar(user, kind, object_id)
    return Response(status_code=204)


@router.get("/recent", response_model=RecentOut)
async def recent(user: CurrentUser, services: ServicesDep) -> RecentOut:
    """Your recent queries, charts and dashboards, newest first."""
    found = await services.home.recent(user)
    return RecentOut(
        queries=[RecentQueryOut.of(run) for run in found.queries],
        charts=[ItemOut.of(item, user.id) for item in found.charts],
        dashboards=[ItemOut.of(item, user.id) for item in found.dashboards],
    )
