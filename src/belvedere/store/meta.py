"""Small facts about this installation (e.g. that the demo was registered once)."""

from __future__ import annotations

from sqlalchemy import select

from belvedere.store.db import Database
from belvedere.store.models import Meta


class Facts:
    """Repository of installation facts: string values by key."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str) -> str | None:
        """A fact's value, or ``None`` if it was never recorded."""
        with self._db.session() as s:
            return s.scalar(select(Meta.value).where(Meta.key == key))

    def set(self, key: str, value: str) -> None:
        """Record a fact (replacing its value)."""
        with self._db.session() as s:
            s.merge(Meta(key=key, value=value))
