"""User accounts (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission
from belvedere.services import Services
from belvedere.store.ids import RowId
from belvedere.web.api.schemas import ErrorOut, UserIn, UserOut, UserPatch
from belvedere.web.deps import ServicesDep, require
from belvedere.web.errors import ApiError

router = APIRouter(prefix="/users", tags=["users"], responses={403: {"model": ErrorOut}})
Admin = Annotated[Account, Depends(require(Permission.MANAGE_USERS))]


@router.get("", response_model=list[UserOut])
async def list_users(_: Admin, services: ServicesDep) -> list[UserOut]:
    """Every account."""
    return [UserOut.of(u) for u in await services.pools.io.run(services.users.list)]


@router.post("", response_model=UserOut, status_code=201, responses={400: {"model": ErrorOut}})
async def create_user(body: UserIn, _: Admin, services: ServicesDep) -> UserOut:
    """Create a local account."""
    created = await services.pools.io.run(
        services.users.create,
        body.username,
        body.role,
        body.password,
        body.display_name,
        email=body.email,
    )
    return UserOut.of(created)


@router.patch("/{user_id}", response_model=UserOut, responses={404: {"model": ErrorOut}})
async def update_user(
    user_id: RowId, body: UserPatch, admin: Admin, services: ServicesDep
) -> UserOut:
    """Change a role, a password, an e-mail, a time zone, the groups (of an account with a
    password), or deactivate (which ends the user's sessions)."""
    if user_id == admin.id and (body.is_active is False or body.role not in (None, admin.role)):
        raise ApiError(400, "invalid_user", "You cannot demote or deactivate yourself.")
    user = await services.pools.io.run(_update, services, user_id, body)
    if user is None:
        raise ApiError(404, "user_not_found", f"No user with id {user_id}.")
    return UserOut.of(user)


def _update(services: Services, user_id: int, body: UserPatch) -> Account | None:
    """Change an account, then end what the change makes stale (blocking)."""
    user = services.users.update(
        user_id,
        role=body.role,
        password=body.password,
        is_active=body.is_active,
        email=body.email,
        timezone=body.timezone,
        groups=body.groups,
    )
    if user is None:
        return None
    if body.is_active is False or body.password is not None:
        services.sessions.end_all_for(user_id)
    if body.is_active is False:
        services.revocation.user(user)  # their grants, tokens and cached results, at once
    return user  # copies of the account kept with sessions went everywhere (Users.on_change)
