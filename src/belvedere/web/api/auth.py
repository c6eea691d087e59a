"""Sign-in, sign-out and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from belvedere.auth.account import Account
from belvedere.auth.cookies import CSRF_COOKIE, SESSION_COOKIE, new_csrf_token
from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.web.api.schemas import (
    CsrfOut,
    ErrorOut,
    LoginIn,
    MeOut,
    MePatch,
    PasswordChangeIn,
    UserOut,
)
from belvedere.web.cookies import set_csrf_cookie, start_session
from belvedere.web.deps import CurrentUser, ServicesDep, optional_user, session_id
from belvedere.web.errors import ApiError, NotSignedIn

router = APIRouter(prefix="/auth", tags=["auth"])


@router.get("/csrf", response_model=CsrfOut)
async def csrf(request: Request, response: Response) -> CsrfOut:
    """A CSRF token (also set as the `belvedere_csrf` cookie) for API clients."""
    token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    set_csrf_cookie(request, response, token)
    return CsrfOut(csrf_token=token)


def client_address(request: Request) -> str:
    """The client's address as the server saw it (proxies' headers only as trusted_proxies
    allows: ``belvedere serve`` hands that to uvicorn)."""
    return request.client.host if request.client else "unknown"


async def check_password(
    services: Services, request: Request, username: str, password: str
) -> Account | None:
    """The active account these credentials sign in, or ``None``; failures are counted and
    :class:`~belvedere.auth.throttle.Throttled` (answered 429) raised while too many were."""
    return await services.pools.io.run(
        services.throttle.attempt,
        username,
        client_address(request),
        lambda: services.users.authenticate(username, password),
    )


@router.post(
    "/login",
    response_model=MeOut,
    responses={
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        429: {"model": ErrorOut, "description": "Too many failed sign-ins; see Retry-After."},
    },
)
async def login(
    body: LoginIn, request: Request, response: Response, services: ServicesDep
) -> MeOut:
    """Sign in with a local account; starts a new session (any old one ends).

    Failed passwords are throttled per account and per client address (HTTP 429 with
    `Retry-After`)."""
    user = await check_password(services, request, body.username, body.password)
    if user is None:
        raise ApiError(401, "wrong_credentials", "Wrong username or password.")
    old = session_id(request)
    if old:
        await services.pools.io.run(services.sessions.end, old)
    await start_session(request, response, services, user.id)
    token = new_csrf_token()
    set_csrf_cookie(request, response, token)
    return MeOut(user=UserOut.of(user), csrf_token=token)


@router.post("/logout", status_code=204)
async def logout(
    request: Request,
    response: Response,
    services: ServicesDep,
    user: Annotated[Account | None, Depends(optional_user)],
) -> Response:
    """End the session on the server and clear its cookie."""
    sid = session_id(request)
    if sid:
        await services.pools.io.run(services.sessions.end, sid)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post(
    "/password",
    status_code=204,
    responses={400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 429: {"model": ErrorOut}},
)
async def change_password(
    body: PasswordChangeIn, request: Request, user: CurrentUser, services: ServicesDep
) -> Response:
    """Change your own password; your other sessions end."""
    if not user.has_password:
        raise ApiError(
            400, "no_password", "Your account signs in with single sign-on; it has no password."
        )
    if await check_password(services, request, user.username, body.current_password) is None:
        raise ApiError(400, "wrong_password", "The current password is wrong.")
    await services.pools.io.run(services.users.update, user.id, password=body.new_password)
    await services.pools.io.run(services.sessions.end_all_for, user.id)
    response = Response(status_code=204)
    await start_session(request, response, services, user.id)
    return response


@router.get("/me", response_model=MeOut, responses={401: {"model": ErrorOut}})
async def me(request: Request, response: Response, user: CurrentUser) -> MeOut:
    """The signed-in user and the CSRF token to send with changes."""
    token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    set_csrf_cookie(request, response, token)
    return MeOut(user=UserOut.of(user), csrf_token=token)


@router.patch(
    "/me", response_model=MeOut, responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}}
)
async def change_me(
    body: MePatch, request: Request, response: Response, user: CurrentUser, services: ServicesDep
) -> MeOut:
    """Change your own settings: your time zone (an IANA name; `""`: the server's), where
    your days start: your budgets reset at your midnight and spend is shown by your days.
    You set it once; then an admin changes it (403), as moving your midnight would start a
    new day of budget."""
    changed: Account | None = user
    if "timezone" in body.model_fields_set and (body.timezone or "") != (user.timezone or ""):
        if user.timezone and user.role != Role.ADMIN:
            raise ApiError(
                403,
                "timezone_locked",
                f"Your time zone is {user.timezone}. Your budgets reset at its midnight, so "
                "only an admin can change it.",
            )
        changed = await services.pools.io.run(
            lambda: services.users.update(user.id, timezone=body.timezone or "")
        )
    if changed is None:
        raise NotSignedIn
    return await me(request, response, changed)
