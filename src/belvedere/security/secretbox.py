"""Encryption of secrets at rest (connection passwords, keys, tokens)."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretBoxError(Exception):
    """A stored secret could not be decrypted (wrong or changed secret key)."""


class SecretBox:
    """Authenticated encryption of small JSON values with a key derived for one purpose."""

    def __init__(self, secret_key: bytes, purpose: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()
        ).derive(secret_key)
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, value: dict[str, Any]) -> bytes:
        """Encrypt a JSON-serializable mapping."""
        return self._fernet.encrypt(json.dumps(value).encode())

    def open(self, token: bytes) -> dict[str, Any]:
        """Decrypt what :meth:`seal` made."""
        try:
            data: dict[str, Any] = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise SecretBoxError(
                "stored secrets cannot be decrypted: was BELVEDERE_SECRET_KEY changed?"
            ) from exc
        return data
