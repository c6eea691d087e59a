"""Saved queries: private to their owner (drafts) unless shared with everyone who runs SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from belvedere.store.db import Database
from belvedere.store.models import SavedQuery


class NotOwner(PermissionError):
    """Only a saved query's owner may change or delete it."""


class SavedQueryNotFound(LookupError):
    """No saved query of that id that the user may see (whether it exists or not)."""

    def __init__(self, saved_id: int) -> None:
        super().__init__(f"No saved query {saved_id}.")


@dataclass(frozen=True)
class SavedQueryRecord:
    """A saved query as stored."""

    id: int
    owner_id: int
    connection_name: str
    name: str
    sql: str
    description: str
    shared: bool
    created_at: datetime
    updated_at: datetime


def _record(saved: SavedQuery) -> SavedQueryRecord:
    return SavedQueryRecord(
        id=saved.id,
        owner_id=saved.owner_id,
        connection_name=saved.connection_name,
        name=saved.name,
        sql=saved.sql,
        description=saved.description,
        shared=bool(saved.shared),
        created_at=saved.created_at,
        updated_at=saved.updated_at,
    )


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
    ) -> SavedQueryRecord:
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
            s.flush()
            return _record(saved)

    def visible(self, saved_id: int, user_id: int) -> SavedQueryRecord | None:
        """A saved query the user owns or that is shared; ``None`` otherwise (even if it exists)."""
        with self._db.session() as s:
            saved = s.get(SavedQuery, saved_id)
            if saved is None or (saved.owner_id != user_id and not saved.shared):
                return None
            return _record(saved)

    def list_visible(self, user_id: int) -> list[SavedQueryRecord]:
        """The user's own saved queries and the shared ones, by name."""
        with self._db.session() as s:
            found = s.scalars(
                select(SavedQuery)
                .where(or_(SavedQuery.owner_id == user_id, SavedQuery.shared.is_(True)))
                .order_by(SavedQuery.name, SavedQuery.id)
            )
            return [_record(saved) for saved in found]

    def update(
        self, saved_id: int, user_id: int, changes: dict[str, Any]
    ) -> SavedQueryRecord | None:
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
            s.flush()
            return _record(saved)

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
