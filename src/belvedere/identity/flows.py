"""Redirect flows under way (sign-in, warehouse authorization): what the browser must bring
back. The state is single-use and short-lived; nonce and PKCE verifier are stored sealed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from belvedere.security.secretbox import SecretBox
from belvedere.store.db import Database
from belvedere.store.models import PendingFlow, utcnow

FLOW_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class Flow:
    """A flow taken back by its state."""

    kind: str
    user_id: int | None
    connection: str | None
    data: dict[str, Any]


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class PendingFlows:
    """Repository of flows under way."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    def start(
        self,
        kind: str,
        data: dict[str, Any],
        *,
        user_id: int | None = None,
        connection: str | None = None,
    ) -> str:
        """Record a flow; returns its state (the only copy: it is stored hashed)."""
        state = secrets.token_urlsafe(32)
        with self._db.session() as s:
            s.add(
                PendingFlow(
                    state_hash=_hash(state),
                    kind=kind,
                    user_id=user_id,
                    connection_name=connection,
                    sealed=self._box.seal(data),
                    expires_at=utcnow() + FLOW_LIFETIME,
                )
            )
        return state

    def take(self, state: str, kind: str) -> Flow | None:
        """The flow of a state, once: unknown, expired, reused or of another kind is ``None``."""
        now = utcnow()
        with self._db.session() as s:
            row = s.get(PendingFlow, _hash(state))
            if row is None:
                return None
            s.delete(row)
            if row.kind != kind or row.expires_at <= now:
                return None
            flow = Flow(row.kind, row.user_id, row.connection_name, self._box.open(row.sealed))
            s.execute(delete(PendingFlow).where(PendingFlow.expires_at <= now))
        return flow
