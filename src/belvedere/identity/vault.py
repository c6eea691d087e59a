"""Users' grants to warehouses (OAuth2 refresh tokens), encrypted at rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from belvedere.security.secretbox import SecretBox
from belvedere.store.db import Database
from belvedere.store.models import UserToken


class TokenVault:
    """One grant per user and connection."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    def get(self, user_id: int, connection: str) -> tuple[dict[str, Any], datetime] | None:
        """A user's grant to a connection and when it was stored, if any."""
        with self._db.session() as s:
            row = s.scalar(
                select(UserToken).where(
                    UserToken.user_id == user_id, UserToken.connection_name == connection
                )
            )
            if row is None:
                return None
            return self._box.open(row.sealed), row.updated_at

    def put(self, user_id: int, connection: str, grant: dict[str, Any]) -> None:
        """Store (or replace) a user's grant."""
        sealed = self._box.seal(grant)
        with self._db.session() as s:
            row = s.scalar(
                select(UserToken).where(
                    UserToken.user_id == user_id, UserToken.connection_name == connection
                )
            )
            if row is None:
                s.add(UserToken(user_id=user_id, connection_name=connection, sealed=sealed))
            else:
                row.sealed = sealed

    def delete(self, user_id: int, connection: str) -> None:
        """Forget a user's grant (revoked, or the user disconnected)."""
        with self._db.session() as s:
            s.execute(
                delete(UserToken).where(
                    UserToken.user_id == user_id, UserToken.connection_name == connection
                )
            )

    def connections_of(self, user_id: int) -> list[str]:
        """Connections a user has authorized."""
        with self._db.session() as s:
            return list(
                s.scalars(
                    select(UserToken.connection_name)
                    .where(UserToken.user_id == user_id)
                    .order_by(UserToken.connection_name)
                )
            )
