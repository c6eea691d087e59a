"""The stand-in's OAuth2 authorization endpoint (``GET /o/oauth2/v2/auth``).

It checks the client, the redirect URI, ``response_type=code``, the scopes, ``state`` and a PKCE
``S256`` challenge; "signs in" the user the test chose (``login_hint``, else
:attr:`~tests.support.google.service.GoogleService.next_user`) and redirects back with ``code``
and ``state``, or with ``error=access_denied`` when ``deny_next`` is set.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tests.support.google.answers import oauth_error, with_query
from tests.support.google.constants import KNOWN_SCOPES
from tests.support.google.records import AuthorizationCode, OAuthClient
from tests.support.google.service import GoogleService

_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")


def pkce_pair() -> tuple[str, str]:
    """A fresh PKCE ``(code_verifier, code_challenge)`` pair, the challenge being S256."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    """The S256 code challenge of a code verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def authorize(service: GoogleService, request: Request) -> Response:
    """Check the request, then redirect back with a one-time code (or a refusal)."""
    params = dict(request.query_params)
    with service.lock:
        state = service.state
        client = state.clients.get(params.get("client_id", ""))
        if client is None:
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or (
            client.redirect_uris is not None and redirect_uri not in client.redirect_uris
        ):
            return oauth_error(
                "redirect_uri_mismatch",
                f"The redirect URI in the request, {redirect_uri}, does not match the ones "
                "authorized for the OAuth client.",
            )
        problem = _authorization_problem(params)
        if problem is not None:
            return oauth_error(*problem)
        if state.deny_next:
            state.deny_next = False
            location = with_query(
                redirect_uri, {"error": "access_denied", "state": params["state"]}
            )
            return RedirectResponse(location, status_code=302)
        email = params.get("login_hint") or state.next_user
        if not email:
            return oauth_error(
                "no_test_user", "nobody signs in: set GoogleService.next_user or pass login_hint"
            )
        code = _new_code(service, client, params, email)
    location = with_query(
        redirect_uri,
        {
            "state": params["state"],
            "code": code.code,
            "scope": " ".join(code.scopes),
            "authuser": "0",
            "prompt": "consent",
        },
    )
    return RedirectResponse(location, status_code=302)


def _new_code(
    service: GoogleService, client: OAuthClient, params: dict[str, str], email: str
) -> AuthorizationCode:
    """A code for ``email``'s consent, kept (the lock held)."""
    state = service.state
    code = AuthorizationCode(
        code="4/0test-" + secrets.token_urlsafe(24),
        client_id=client.client_id,
        redirect_uri=params["redirect_uri"],
        scopes=tuple(params["scope"].split()),
        email=email,
        challenge=params["code_challenge"],
        offline=params.get("access_type") == "offline",
        nonce=params.get("nonce"),
        issued=time.time(),
    )
    consented = (email, client.client_id) in state.consented
    if consented and state.refresh_only_on_first_consent:
        code.offline = code.offline and "consent" in params.get("prompt", "").split()
    state.consented.add((email, client.client_id))
    state.codes[code.code] = code
    return code


def _authorization_problem(params: dict[str, str]) -> tuple[str, str] | None:
    if params.get("response_type") != "code":
        return "unsupported_response_type", "response_type must be code"
    scope = params.get("scope", "").split()
    if not scope:
        return "invalid_request", "Missing required parameter: scope"
    unknown = [s for s in scope if s not in KNOWN_SCOPES]
    if unknown:
        return "invalid_scope", f"Some requested scopes were invalid: {unknown}"
    if not params.get("state"):
        return "invalid_request", "Missing required parameter: state (the test bed wants one)"
    if params.get("code_challenge_method") != "S256":
        return "invalid_request", "code_challenge_method must be S256"
    if not _CHALLENGE.match(params.get("code_challenge", "")):
        return "invalid_request", "Invalid code_challenge: 43 base64url characters expected"
    if params.get("access_type", "online") not in ("online", "offline"):
        return "invalid_request", "Invalid access_type"
    return None
