"""A connection's secrets: which options hold them, sealed at rest and opened for the backend."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, SecretStr

from belvedere.security.secretbox import SecretBox


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields of an options model that hold secrets."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if info.annotation is SecretStr or SecretStr in get_args(info.annotation)
    )


class SecretSealer:
    """Splits validated options into plain ones and sealed secrets, and opens them again."""

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def split(self, options: BaseModel) -> tuple[dict[str, Any], dict[str, str]]:
        """The options without secrets (as JSON), and the secrets apart."""
        names = secret_fields(type(options))
        plain = options.model_dump(mode="json", exclude=set(names))
        secrets = {
            n: v.get_secret_value()
            for n in names
            if isinstance(v := getattr(options, n), SecretStr)
        }
        return plain, secrets

    def seal(self, secrets: dict[str, str]) -> bytes | None:
        """Secrets sealed for storage (``None`` if there are none)."""
        return self._box.seal(secrets) if secrets else None

    def open(self, sealed: bytes | None) -> dict[str, Any]:
        """The secrets of a stored connection (raises ``SecretBoxError`` with a changed key)."""
        return self._box.open(sealed) if sealed else {}
