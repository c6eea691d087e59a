"""Request dependencies: the services, the signed-in user, permissions, CSRF."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from belvedere.auth.account import Account
from belvedere.auth.cookies import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, csrf_matches
from belvedere.auth.roles import Permission, can
from belvedere.execution.runs import Actor
from belvedere.services import Services
from belvedere.web.errors import ApiError, Forbidden, NotSignedIn

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_services(request: Request) -> Services:
    """The application's services."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def session_id(request: Request) -> str | None:
    """The session id of the request's signed cookie, if valid."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    return request.app.state.cookies.unsign(value)  # type: ignore[no-any-return]


async def optional_user(request: Request) -> Account | None:
    """The signed-in user, or ``None``."""
    services: Services = request.app.state.services
    sid = session_id(request)
    if not sid:
        return None
    sessions = services.sessions
    return sessions.peek(sid) or await services.pools.io.run(sessions.resolve, sid)


async def current_user(user: Annotated[Account | None, Depends(optional_user)]) -> Account:
    """The signed-in user; 401 otherwise."""
    if user is None:
        raise NotSignedIn
    return user


CurrentUser = Annotated[Account, Depends(current_user)]


def require(permission: Permission) -> Callable[[Account], Awaitable[Account]]:
    """A dependency that admits users whose role holds ``permission``; 403 otherwise."""

    async def check(user: CurrentUser) -> Account:
        if not can(user.role, permission):
            raise Forbidden(permission)
        return user

    return check


def actor(user: Account) -> Actor:
    """The execution service's view of a user."""
    return Actor.of(user)


async def csrf_protect(request: Request) -> None:
    """Refuse state-changing requests from other sites (Origin check + double-submit token)."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise ApiError(403, "csrf_failed", "Cross-site request refused.")
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)):
        raise ApiError(
            403,
            "csrf_failed",
            "Missing or wrong CSRF token: send the belvedere_csrf cookie's value in the "
            "X-CSRF-Token header.",
        )
