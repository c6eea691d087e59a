"""PKCE (RFC 7636): a verifier kept by Belvedere, its S256 challenge sent to the provider."""

from __future__ import annotations

import base64
import hashlib
import secrets


def new_verifier() -> str:
    """A high-entropy code verifier (43 to 128 characters)."""
    return secrets.token_urlsafe(64)


def challenge(verifier: str) -> str:
    """The S256 challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
