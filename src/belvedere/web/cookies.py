"""The cookies of a signed-in browser: the signed session id and the double-submit CSRF
token, set on a response."""

from __future__ import annotations

from fastapi import Request, Response

from belvedere.auth.cookies import CSRF_COOKIE, SESSION_COOKIE
from belvedere.services import Services


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


async def start_session(
    request: Request, response: Response, services: Services, user_id: int
) -> None:
    """Start a server-side session and hand its signed id to the browser."""
    sid = await services.pools.io.run(services.sessions.start, user_id)
    response.set_cookie(
        SESSION_COOKIE,
        request.app.state.cookies.sign(sid),
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure,
        max_age=services.settings.session_max_hours * 3600,
        path="/",
    )
