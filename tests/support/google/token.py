"""The stand-in's OAuth2 token endpoint (``POST /token``).

Grants: ``authorization_code`` (client secret, redirect URI, one-time codes, and PKCE enforced:
the ``code_verifier`` must hash to the challenge), ``refresh_token`` (``invalid_grant`` once
revoked), and the JWT-bearer grant of service-account keys (RFC 7523).
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from google.auth import jwt as google_jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.support.google.answers import client_of, form_of, oauth_error
from tests.support.google.authorize import s256
from tests.support.google.constants import CODE_SECONDS, JWT_BEARER
from tests.support.google.records import (
    AccessToken,
    OAuthClient,
    RefreshToken,
    service_account_principal,
    user_principal,
)
from tests.support.google.service import GoogleService

_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_NO_STORE = {"cache-control": "no-store"}


async def token(service: GoogleService, request: Request) -> Response:
    """Redeem a grant for an access token."""
    form = await form_of(request)
    grant_type = form.get("grant_type")
    if grant_type == JWT_BEARER:
        return _jwt_bearer(service, form)
    if grant_type not in ("authorization_code", "refresh_token"):
        return oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    with service.lock:
        client = client_of(service.state, request, form)
        if client is None:
            return oauth_error("invalid_client", "Unauthorized", 401)
        if grant_type == "authorization_code":
            return _authorization_code(service, client, form)
        return _refresh(service, client, form)


def _authorization_code(
    service: GoogleService, client: OAuthClient, form: dict[str, str]
) -> Response:
    code = service.state.codes.get(form.get("code", ""))
    if code is None:
        return oauth_error("invalid_grant", "Malformed auth code.")
    if code.used:
        return oauth_error("invalid_grant", "Bad Request")  # what Google says on reuse
    code.used = True  # one attempt per code, whatever its outcome
    if code.client_id != client.client_id:
        return oauth_error("invalid_grant", "Unauthorized")
    if time.time() > code.issued + CODE_SECONDS:
        return oauth_error("invalid_grant", "Bad Request")
    if form.get("redirect_uri") != code.redirect_uri:
        return oauth_error("redirect_uri_mismatch", "Bad Request")
    verifier = form.get("code_verifier")
    if not verifier:
        return oauth_error("invalid_grant", "Missing code verifier.")
    if not _VERIFIER.match(verifier) or not secrets.compare_digest(s256(verifier), code.challenge):
        return oauth_error("invalid_grant", "Invalid code verifier.")
    refresh_token: RefreshToken | None = None
    if code.offline:
        refresh_token = RefreshToken(
            token="1//0test-" + secrets.token_urlsafe(32),
            email=code.email,
            client_id=client.client_id,
            scopes=code.scopes,
        )
        service.state.refresh[refresh_token.token] = refresh_token
    access = service.new_access(
        user_principal(code.email),
        code.scopes,
        "user",
        client_id=client.client_id,
        refresh_token=refresh_token.token if refresh_token else None,
    )
    answer = _answer(service, access, code.nonce)
    if refresh_token is not None:
        answer["refresh_token"] = refresh_token.token
    return JSONResponse(answer, headers=_NO_STORE)


def _refresh(service: GoogleService, client: OAuthClient, form: dict[str, str]) -> Response:
    grant = service.state.refresh.get(form.get("refresh_token", ""))
    if grant is None:
        return oauth_error("invalid_grant", "Bad Request")
    if grant.revoked:
        return oauth_error("invalid_grant", "Token has been expired or revoked.")
    if grant.client_id != client.client_id:
        return oauth_error("unauthorized_client", "Unauthorized")
    scopes = grant.scopes
    if form.get("scope"):
        asked = tuple(form["scope"].split())
        if not set(asked) <= set(grant.scopes):
            return oauth_error("invalid_scope", "Bad Request")
        scopes = asked
    grant.uses += 1
    access = service.new_access(
        user_principal(grant.email),
        scopes,
        "user",
        client_id=client.client_id,
        refresh_token=grant.token,
    )
    return JSONResponse(_answer(service, access, None), headers=_NO_STORE)


def _answer(service: GoogleService, access: AccessToken, nonce: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "access_token": access.token,
        "expires_in": max(int(access.expires_at - time.time()), 0),
        "scope": " ".join(access.scopes),
        "token_type": "Bearer",
    }
    if "openid" in access.scopes and access.client_id is not None:
        answer["id_token"] = service.id_token(access.email, access.client_id, nonce)
    return answer


def _jwt_bearer(service: GoogleService, form: dict[str, str]) -> Response:
    try:
        claims = google_jwt.decode(form.get("assertion", ""), verify=False)
    except ValueError as exc:
        return oauth_error("invalid_grant", f"Invalid JWT: {exc}")
    issuer, subject = str(claims.get("iss", "")), claims.get("sub")
    principal = (
        user_principal(str(subject))  # domain-wide delegation: acting as a user
        if subject and subject != issuer
        else service_account_principal(issuer)
    )
    scopes = tuple(str(claims.get("scope", "")).split())
    with service.lock:
        access = service.new_access(principal, scopes, "service_account")
        service.state.grants.append({**claims, "token": access.token})
    return JSONResponse(
        {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": max(int(access.expires_at - time.time()), 0),
        }
    )
