"""Answers in Google's shapes, and what handlers read from a request."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse

from tests.support.google.records import OAuthClient, State


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"cache-control": "no-store"},
    )


def api_error(code: int, status: str, message: str, **extra: Any) -> JSONResponse:
    """An error in Google APIs' JSON shape (IAM Credentials, userinfo)."""
    return JSONResponse(
        {"error": {"code": code, "message": message, "status": status, **extra}},
        status_code=code,
    )


def bearer(request: Request) -> str | None:
    """The bearer token of the ``Authorization`` header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def form_of(request: Request) -> dict[str, str]:
    """The fields of a form-encoded body."""
    return dict(parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True))


def client_of(state: State, request: Request, form: dict[str, str]) -> OAuthClient | None:
    """The authenticated client (client_secret_basic or client_secret_post)."""
    client_id, secret = form.get("client_id"), form.get("client_secret")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except ValueError:  # not base64, or not UTF-8
            return None
        client_id, _, secret = decoded.partition(":")
    client = state.clients.get(client_id or "")
    given = (secret or "").encode()
    if client is None or not secrets.compare_digest(client.client_secret.encode(), given):
        return None
    return client
