"""What concerns the signed-in user: their authorizations of per-user connections."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from belvedere.identity.authorize import DEFAULT_NEXT, authorize_url
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import CurrentUser, ServicesDep

router = APIRouter(prefix="/me", tags=["me"], responses={401: {"model": ErrorOut}})


class AuthorizationOut(BaseModel):
    connection: str
    authorized: bool = Field(description="Whether you have authorized it (a grant is stored).")
    authorize_url: str = Field(description="Where to send the browser to (re)authorize.")


@router.get("/authorizations", response_model=list[AuthorizationOut])
async def authorizations(
    user: CurrentUser, services: ServicesDep, next: str = DEFAULT_NEXT
) -> list[AuthorizationOut]:
    """Connections that query with each user's own grant, and whether you authorized them;
    ``next`` is the page to come back to after authorizing (SQL Lab by default)."""
    found = await services.pools.io.run(services.authorizations.of, user.id)
    return [
        AuthorizationOut(
            connection=a.connection,
            authorized=a.authorized,
            authorize_url=authorize_url(a.connection, next),
        )
        for a in found
    ]


@router.delete("/authorizations/{connection}", status_code=204)
async def disconnect(connection: str, user: CurrentUser, services: ServicesDep) -> Response:
    """Forget your grant to a connection (you will be asked to authorize again)."""
    await services.pools.io.run(services.revocation.grant, user.id, connection)
    return Response(status_code=204)
