"""What concerns the signed-in user: their authorizations of per-user connections."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import CurrentUser, ServicesDep
from belvedere.web.errors import authorize_url

router = APIRouter(prefix="/me", tags=["me"], responses={401: {"model": ErrorOut}})


class AuthorizationOut(BaseModel):
    connection: str
    authorized: bool = Field(description="Whether you have authorized it (a grant is stored).")
    authorize_url: str = Field(description="Where to send the browser to (re)authorize.")


@router.get("/authorizations", response_model=list[AuthorizationOut])
def authorizations(user: CurrentUser, services: ServicesDep) -> list[AuthorizationOut]:
    """Connections that query as each user (`user_oauth`), and whether you authorized them."""
    mine = set(services.identity.vault.connections_of(user.id))
    found = []
    for view in services.connections.list():
        if view.kind == "bigquery" and view.options.get("identity") == "user_oauth":
            found.append(
                AuthorizationOut(
                    connection=view.name,
                    authorized=view.name in mine,
                    authorize_url=authorize_url(view.name),
                )
            )
    return found


@router.delete("/authorizations/{connection}", status_code=204)
async def disconnect(connection: str, user: CurrentUser, services: ServicesDep) -> Response:
    """Forget your grant to a connection (you will be asked to authorize again)."""
    await services.execution.io(services.revocation.grant, user.id, connection)
    services.catalog.forget(connection)
    return Response(status_code=204)
