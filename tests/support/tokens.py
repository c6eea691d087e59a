"""A token service of the tests' own, standing in for Google's OAuth2 token endpoint on loopback.

It answers the JWT-bearer grant that service-account keys make (RFC 7523), recording each
grant, and hands out opaque access tokens. Keys made by :func:`service_account_key` point their
``token_uri`` at it, so google-auth's real signing and refresh code runs end to end.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.live import live_server


@dataclass
class TokenService:
    """Where the service listens, and what it granted."""

    url: str
    grants: list[dict[str, Any]] = field(default_factory=list)
    """Claims of every JWT assertion received, with the token handed out under ``token``."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def tokens(self) -> list[str]:
        with self.lock:
            return [g["token"] for g in self.grants]


def _app(service: TokenService) -> Starlette:
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        claims = jwt.decode(str(form.get("assertion")), verify=False)
        access = "ya29.test-" + secrets.token_urlsafe(16)
        with service.lock:
            service.grants.append({**claims, "token": access})
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 3600})

    return Starlette(routes=[Route("/token", token, methods=["POST"])])


@contextmanager
def token_service() -> Iterator[TokenService]:
    """Run the token service until the block ends."""
    service = TokenService(url="")
    with live_server(_app(service)) as url:
        service.url = url
        yield service


def service_account_key(
    token_uri: str, email: str = "belvedere-test@test-project.iam.gserviceaccount.com"
) -> str:
    """A service-account key file's content, with a fresh RSA key, whose tokens come from
    ``token_uri``."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "test-project",
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": email,
            "client_id": "1234567890",
            "token_uri": token_uri,
        }
    )
