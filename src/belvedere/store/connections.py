"""Stored connections: plain options as JSON, secrets as one sealed blob (sealed elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from belvedere.store.db import Database
from belvedere.store.models import Connection

#: Fields :meth:`Connections.update` may change.
CHANGEABLE = frozenset({"options", "sealed_secrets", "timeout_seconds"})


@dataclass(frozen=True)
class ConnectionRecord:
    """A connection as stored."""

    name: str
    kind: str
    options: dict[str, Any]
    sealed_secrets: bytes | None
    timeout_seconds: float | None


def _record(row: Connection) -> ConnectionRecord:
    return ConnectionRecord(
        name=row.name,
        kind=row.kind,
        options=dict(row.options),
        sealed_secrets=row.sealed_secrets,
        timeout_seconds=row.timeout_seconds,
    )


class Connections:
    """Repository of connections, by name (blocking)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self) -> list[ConnectionRecord]:
        """Every connection, by name."""
        with self._db.session() as s:
            return [_record(c) for c in s.scalars(select(Connection).order_by(Connection.name))]

    def get(self, name: str) -> ConnectionRecord | None:
        """One connection, or ``None``."""
        with self._db.session() as s:
            row = s.scalar(select(Connection).where(Connection.name == name))
            return _record(row) if row is not None else None

    def exists(self, name: str) -> bool:
        """Whether a connection of that name exists."""
        with self._db.session() as s:
            return s.scalar(select(Connection.id).where(Connection.name == name)) is not None

    def add(self, record: ConnectionRecord) -> bool:
        """Store a new connection; ``False`` (nothing stored) if the name is taken."""
        with self._db.session() as s:
            if s.scalar(select(Connection.id).where(Connection.name == record.name)) is not None:
                return False
            s.add(
                Connection(
                    name=record.name,
                    kind=record.kind,
                    options=record.options,
                    sealed_secrets=record.sealed_secrets,
                    timeout_seconds=record.timeout_seconds,
                )
            )
        return True

    def update(self, name: str, changes: Mapping[str, Any]) -> ConnectionRecord | None:
        """Change some of :data:`CHANGEABLE`; ``None`` if there is no such connection."""
        unknown = set(changes) - CHANGEABLE
        if unknown:
            raise ValueError(f"not changeable: {sorted(unknown)}")
        with self._db.session() as s:
            row = s.scalar(select(Connection).where(Connection.name == name))
            if row is None:
                return None
            for field, value in changes.items():
                setattr(row, field, value)
            s.flush()
            return _record(row)

    def remove(self, name: str) -> bool:
        """Delete a connection; ``False`` if there was none."""
        with self._db.session() as s:
            row = s.scalar(select(Connection).where(Connection.name == name))
            if row is None:
                return False
            s.delete(row)
        return True
