"""Users' grants to warehouses (OAuth2 refresh tokens), sealed at rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from belvedere.security.secretbox import SecretBox
from belvedere.store.db import Database
from belvedere.store.grants import Grants


class TokenVault:
    """One grant per user and connection, sealed before it is stored."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self._grants = Grants(db)
        self._box = box

    def get(self, user_id: int, connection: str) -> tuple[dict[str, Any], datetime] | None:
        """A user's grant to a connection and when it was stored, if any."""
        found = self._grants.get(user_id, connection)
        return None if found is None else (self._box.open(found.sealed), found.stored_at)

    def put(self, user_id: int, connection: str, grant: dict[str, Any]) -> None:
        """Store (or replace) a user's grant."""
        self._grants.put(user_id, connection, self._box.seal(grant))

    def delete(self, user_id: int, connection: str) -> None:
        """Forget a user's grant (revoked, or the user disconnected)."""
        self._grants.delete(user_id, connection)

    def connections_of(self, user_id: int) -> list[str]:
        """Connections a user has authorized."""
        return self._grants.connections_of(user_id)
