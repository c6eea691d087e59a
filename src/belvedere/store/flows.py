"""Redirect flows under way as stored: by the hash of their state, with what the browser must
bring back sealed, until they expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete

from belvedere.store.db import Database
from belvedere.store.models import PendingFlow, utcnow


@dataclass(frozen=True)
class StoredFlow:
    """A flow as stored (its data sealed)."""

    kind: str
    user_id: int | None
    connection: str | None
    sealed: bytes
    expires_at: datetime


class FlowStore:
    """Repository of flows under way; each is taken once."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, state_hash: str, flow: StoredFlow) -> None:
        """Record a flow under the hash of its state."""
        with self._db.session() as s:
            s.add(
                PendingFlow(
                    state_hash=state_hash,
                    kind=flow.kind,
                    user_id=flow.user_id,
                    connection_name=flow.connection,
                    sealed=flow.sealed,
                    expires_at=flow.expires_at,
                )
            )

    def take(self, state_hash: str) -> StoredFlow | None:
        """Remove and return the flow of a state hash (expired or not), and purge the expired."""
        with self._db.session() as s:
            row = s.get(PendingFlow, state_hash)
            if row is None:
                return None
            s.delete(row)
            flow = StoredFlow(
                row.kind, row.user_id, row.connection_name, row.sealed, row.expires_at
            )
            s.execute(delete(PendingFlow).where(PendingFlow.expires_at <= utcnow()))
        return flow
