"""Users' grants to warehouses as stored: one sealed grant per user and connection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from belvedere.store.db import Database
from belvedere.store.models import UserToken


@dataclass(frozen=True)
class StoredGrant:
    """A sealed grant and when it was last stored."""

    sealed: bytes
    stored_at: datetime


class Grants:
    """Repository of users' sealed grants (the vault seals and opens them)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, user_id: int, connection: str) -> StoredGrant | None:
        """A user's sealed grant to a connection, if any."""
        with self._db.session() as s:
            row = s.scalar(
                select(UserToken).where(
                    UserToken.user_id == user_id, UserToken.connection_name == connection
                )
            )
            return None if row is None else StoredGrant(row.sealed, row.updated_at)

    def put(self, user_id: int, connection: str, sealed: bytes) -> None:
        """Store (or replace) a user's sealed grant."""
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
        """Forget a user's grant to a connection."""
        with self._db.session() as s:
            s.execute(
                delete(UserToken).where(
                    UserToken.user_id == user_id, UserToken.connection_name == connection
                )
            )

    def connections_of(self, user_id: int) -> list[str]:
        """Connections a user has a grant to, by name."""
        with self._db.session() as s:
            return list(
                s.scalars(
                    select(UserToken.connection_name)
                    .where(UserToken.user_id == user_id)
                    .order_by(UserToken.connection_name)
                )
            )
