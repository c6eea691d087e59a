"""Redirect flows: sign-in with OpenID Connect, and users authorizing per-user connections.

The browser leaves for the provider and comes back here with ``state`` and ``code``; every
check (single-use state, nonce, PKCE, the same user) happens in the services. Problems are
pages a person can read, never JSON or a traceback.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from belvedere.auth.account import Account
from belvedere.auth.cookies import new_csrf_token
from belvedere.auth.oidc import SignInError
from belvedere.identity.authorize import DEFAULT_NEXT, FlowError
from belvedere.identity.flows import FLOW_LIFETIME
from belvedere.identity.service import IdentityError
from belvedere.store.users import UserError
from belvedere.web.cookies import set_csrf_cookie, start_session
from belvedere.web.deps import CurrentUser, ServicesDep, actor, optional_user, session_id
from belvedere.web.redirects import safe_next
from belvedere.web.rendering import render

router = APIRouter(prefix="/auth", include_in_schema=False)

#: Binds a sign-in to the browser that started it: a callback link opened in another browser
#: (an attacker's own sign-in, sent to a victim) signs nobody in.
SIGNIN_COOKIE = "belvedere_signin"
SIGNIN_PATH = "/auth/oidc"
NOT_STARTED_HERE = "This sign-in expired or was not started here. Try again."


def problem(
    request: Request, user: Account | None, title: str, message: str, status: int = 400
) -> Response:
    """A page that says what went wrong and where to go next."""
    page = {"name": "problem", "title": title, "message": message}
    return render(request, "problem.html", user, page, status=status)


#: The most of a provider's error text shown (it comes from the URL, so anyone can write it).
MAX_REPORTED = 200


def _reported(text: str | None) -> str:
    """Text from the query string fit to show as text: printable, one line, short.

    (The page escapes it as every value; this only keeps it from posing as a long message.)
    """
    cleaned = " ".join("".join(c for c in text or "" if c.isprintable()).split())
    return cleaned if len(cleaned) <= MAX_REPORTED else cleaned[: MAX_REPORTED - 1] + "…"


@router.get("/oidc/start")
async def oidc_start(request: Request, services: ServicesDep, next: str | None = None) -> Response:
    if not services.oidc.enabled:
        return problem(request, None, "Single sign-on is off", "Sign in with your username.", 404)
    try:
        url = await services.pools.io.run(services.oidc.start, safe_next(next))
    except SignInError as exc:
        return problem(request, None, "Sign-in failed", str(exc), 502)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        SIGNIN_COOKIE,
        parse_qs(urlsplit(url).query)["state"][0],
        httponly=True,
        samesite="lax",  # sent on the provider's redirect back, a top-level GET
        secure=services.settings.cookie_secure,
        max_age=int(FLOW_LIFETIME.total_seconds()),
        path=SIGNIN_PATH,
    )
    return response


@router.get("/oidc/callback")
async def oidc_callback(
    request: Request,
    services: ServicesDep,
    state: str = "",
    code: str = "",
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    if error or not state or not code:
        reason = _reported(error_description or error) or "the sign-in provider sent nothing back"
        return problem(request, None, "Sign-in failed", f"Sign-in was not completed: {reason}.")
    if not hmac.compare_digest(request.cookies.get(SIGNIN_COOKIE, "").encode(), state.encode()):
        return problem(request, None, "Sign-in failed", NOT_STARTED_HERE, 403)
    try:
        signed = await services.pools.io.run(services.oidc.finish, state, code)
    except (SignInError, UserError) as exc:
        return problem(request, None, "Sign-in failed", str(exc), 403)
    old = session_id(request)
    if old:
        await services.pools.io.run(services.sessions.end, old)
    response = RedirectResponse(safe_next(signed.next), status_code=303)
    response.delete_cookie(SIGNIN_COOKIE, path=SIGNIN_PATH)
    await start_session(request, response, services, signed.user.id)
    set_csrf_cookie(request, response, new_csrf_token())
    return response


@router.get("/warehouse/start")
async def warehouse_start(
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    connection: str,
    next: str | None = None,
) -> Response:
    try:
        url = await services.pools.io.run(
            services.authorizations.start, actor(user), connection, safe_next(next or DEFAULT_NEXT)
        )
    except (IdentityError, LookupError) as exc:
        return problem(request, user, "Cannot authorize", str(exc))
    return RedirectResponse(url, status_code=303)


@router.get("/warehouse/callback")
async def warehouse_callback(
    request: Request,
    services: ServicesDep,
    user: Annotated[Account | None, Depends(optional_user)],
    state: str = "",
    code: str = "",
    error: str | None = None,
) -> Response:
    if user is None:
        return problem(
            request, None, "Sign in first", "Your session ended; sign in and try again.", 401
        )
    if error or not state or not code:
        reason = "you declined" if error == "access_denied" else _reported(error)
        reason = reason or "nothing came back"
        return problem(request, user, "Not authorized", f"Belvedere was not authorized: {reason}.")
    try:
        done = await services.pools.io.run(services.authorizations.finish, actor(user), state, code)
    except (FlowError, IdentityError) as exc:
        return problem(request, user, "Not authorized", str(exc))
    return RedirectResponse(safe_next(done.next), status_code=303)
