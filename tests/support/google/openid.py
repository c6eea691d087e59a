"""The stand-in's OpenID Connect side: discovery, JWKS and PEM certificates, userinfo, and
token revocation (``/revoke``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.support.google.answers import api_error, bearer, form_of, oauth_error
from tests.support.google.constants import INVALID_CREDENTIALS, JWT_BEARER
from tests.support.google.records import subject_id
from tests.support.google.service import GoogleService


async def revoke(service: GoogleService, request: Request) -> Response:
    """Revoke a refresh or access token (and the grant behind it), as Google's ``/revoke``."""
    form = await form_of(request)
    token = form.get("token") or request.query_params.get("token", "")
    with service.lock:
        known = service.revoke_locked(token, keep_access_tokens=False)
    if not known:
        return oauth_error("invalid_token", "Token expired or revoked")
    return JSONResponse({})


async def userinfo(service: GoogleService, request: Request) -> Response:
    """Who the bearer token belongs to."""
    token = bearer(request)
    info = service.token_info(token) if token else None
    if info is None or not info.valid:
        return api_error(401, "UNAUTHENTICATED", INVALID_CREDENTIALS)
    return JSONResponse(
        {"sub": subject_id(info.email), "email": info.email, "email_verified": True}
    )


async def discovery(service: GoogleService, request: Request) -> Response:
    """``/.well-known/openid-configuration``."""
    return JSONResponse(
        {
            "issuer": service.issuer,
            "authorization_endpoint": service.auth_uri,
            "token_endpoint": service.token_uri,
            "userinfo_endpoint": service.userinfo_uri,
            "revocation_endpoint": service.revoke_uri,
            "jwks_uri": service.jwks_uri,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "refresh_token", JWT_BEARER],
        }
    )


async def jwks(service: GoogleService, request: Request) -> Response:
    """The signing key as a JWK set (``/oauth2/v3/certs``)."""
    return JSONResponse(service.jwks)


async def pem_certs(service: GoogleService, request: Request) -> Response:
    """The signing key as ``{kid: PEM certificate}`` (``/oauth2/v1/certs``)."""
    return JSONResponse({service.key.key_id: service.key.certificate})


async def not_found(service: GoogleService, request: Request) -> Response:
    return api_error(404, "NOT_FOUND", f"The stand-in has no {request.url.path}")
