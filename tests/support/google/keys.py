"""Keys of the Google stand-in: the one that signs its ID tokens (published as JWKS and as PEM
certificates), and fresh service-account key files."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt
from google.auth import jwt as google_jwt

from tests.support.certificates import self_signed_pem
from tests.support.google.constants import PROJECT
from tests.support.google.records import subject_id


class SigningKey:
    """An RSA key of the stand-in's own, with its key id, JWK and self-signed certificate."""

    def __init__(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(8)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._signer = crypt.RSASigner.from_string(pem, key_id=self.key_id)
        self.certificate = _self_signed(key)
        """The public key as a PEM certificate."""
        numbers = key.public_key().public_numbers()
        self.jwk = {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.key_id,
            "n": _b64int(numbers.n),
            "e": _b64int(numbers.e),
        }

    def id_token(
        self, issuer: str, email: str, audience: str, seconds: int, nonce: str | None = None
    ) -> str:
        """An RS256 ID token for ``email``, as Google signs them."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "azp": audience,
            "aud": audience,
            "sub": subject_id(email),
            "email": email,
            "email_verified": True,
            "iat": now,
            "exp": now + seconds,
        }
        if nonce:
            claims["nonce"] = nonce
        signed: bytes = google_jwt.encode(self._signer, claims)  # type: ignore[no-untyped-call]
        return signed.decode("ascii")


def _self_signed(key: rsa.RSAPrivateKey) -> str:
    return self_signed_pem(key, "google-stand-in", valid=timedelta(days=365)).decode("ascii")


def _b64int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


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
            "project_id": PROJECT,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": email,
            "client_id": "1234567890",
            "token_uri": token_uri,
        }
    )
