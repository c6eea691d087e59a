"""Sign-in, sign-out and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from belvedere.auth.cookies import CSRF_COOKIE, SESSION_COOKIE, new_csrf_token
from belvedere.store.models import User
from belvedere.web.api.schemas import CsrfOut, ErrorOut, LoginIn, MeOut, UserOut
from belvedere.web.deps import CurrentUser, ServicesDep, optional_user, session_id
from belvedere.web.errors import ApiError

router = APIRouter(prefix="/auth", tags=["auth"])


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    """Issue the double-submit CSRF cookie (readable by the page's script)."""
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=False,
        samesite="strict",
        secure=request.app.state.services.settings.cookie_secure,
        path="/",
    )


@router.get("/csrf", response_model=CsrfOut)
async def csrf(request: Request, response: Response) -> CsrfOut:
    """A CSRF token (also set as the `belvedere_csrf` cookie) for API clients."""
    token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    set_csrf_cookie(request, response, token)
    return CsrfOut(csrf_token=token)


@router.post(
    "/login", response_model=MeOut, responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}}
)
async def login(
    body: LoginIn, request: Request, response: Response, services: ServicesDep
) -> MeOut:
    """Sign in with a local account; starts a new session (any old one ends)."""
    user = await run_in_threadpool(services.users.authenticate, body.username, body.password)
    if user is None:
        raise ApiError(401, "wrong_credentials", "Wrong username or password.")
    old = session_id(request)
    if old:
        await run_in_threadpool(services.sessions.end, old)
    sid = await run_in_threadpool(services.sessions.start, user.id)
    settings = services.settings
    response.set_cookie(
        SESSION_COOKIE,
        request.app.state.cookies.sign(sid),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_max_hours * 3600,
        path="/",
    )
    token = new_csrf_token()
    set_csrf_cookie(request, response, token)
    return MeOut(user=UserOut.of(user), csrf_token=token)


@router.post("/logout", status_code=204)
async def logout(
    request: Request,
    response: Response,
    services: ServicesDep,
    user: Annotated[User | None, Depends(optional_user)],
) -> Response:
    """End the session on the server and clear its cookie."""
    sid = session_id(request)
    if sid:
        await run_in_threadpool(services.sessions.end, sid)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut, responses={401: {"model": ErrorOut}})
async def me(request: Request, response: Response, user: CurrentUser) -> MeOut:
    """The signed-in user and the CSRF token to send with changes."""
    token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    set_csrf_cookie(request, response, token)
    return MeOut(user=UserOut.of(user), csrf_token=token)
