"""Saved queries: private to their owner (drafts) unless shared with everyone who runs SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from belvedere.store.db import Database
from belvedere.store.models import SavedQuery


class NotOwner(PermissionError):
    """Only a saved query's owner may change or delete it."""


class SavedQueries:
    """Repository of saved queries; every read is scoped to what the reader may see."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        owner_id: int,
        *,
        connection: str,
        name: str,
        sql: str,
        description: str = "",
        shared: bool = False,
    ) -> SavedQuery:
        """Save a query."""
        with self._db.session() as s:
            saved = SavedQuery(
                owner_id=owner_id,
                connection_name=connection,
                name=name,
                sql=sql,
                description=description,
                shared=shared,
            )
            s.add(saved)
        return saved

    def visible(self, saved_id: int, user_id: int) -> SavedQuery | None:
        """A saved query the user owns or that is shared; ``None`` otherwise (even if it exists)."""
        with self._db.session() as s:
            saved = s.get(SavedQuery, saved_id)
        if saved is None or (saved.owner_id != user_id and not saved.shared):
            return None
        return saved

    def list_visible(self, user_id: int) -> list[SavedQuery]:
        """The user's own saved queries and the shared ones, by name."""
        with self._db.session() as s:
            return list(
                s.scalars(
                    select(SavedQuery)
                    .where(or_(SavedQuery.owner_id == user_id, SavedQuery.shared.is_(True)))
                    .order_by(SavedQuery.name, SavedQuery.id)
                )
            )

    def update(self, saved_id: int, user_id: int, changes: dict[str, Any]) -> SavedQuery | None:
        """Change a saved query; ``None`` if the user cannot see it, ``NotOwner`` if they only
        see it because it is shared."""
        with self._db.session() as s:
            saved = s.get(SavedQuery, saved_id)
            if saved is None or (saved.owner_id != user_id and not saved.shared):
                return None
            if saved.owner_id != user_id:
                raise NotOwner("Only its owner can change a saved query.")
            for field in ("name", "sql", "description", "shared", "connection_name"):
                if field in changes:
                    setattr(saved, field, changes[field])
            return saved

    def delete(self, saved_id: int, user_id: int) -> bool:
        """Delete a saved query; ``False`` if the user cannot see it."""
        with self._db.session() as s:
            saved = s.get(SavedQuery, saved_id)
            if saved is None or (saved.owner_id != user_id and not saved.shared):
                return False
            if saved.owner_id != user_id:
                raise NotOwner("Only its owner can delete a saved query.")
            s.delete(saved)
            return True
