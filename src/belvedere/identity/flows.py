"""Redirect flows under way (sign-in, warehouse authorization): what the browser must bring
back. The state is single-use and short-lived, stored only hashed; nonce and PKCE verifier are
stored sealed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from belvedere.security.secretbox import SecretBox
from belvedere.store.db import Database
from belvedere.store.flows import FlowStore, StoredFlow
from belvedere.store.models import utcnow

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
    """Flows under way: started with a fresh state, taken back once by it."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self._store = FlowStore(db)
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
        sealed = self._box.seal(data)
        self._store.add(
            _hash(state),
            StoredFlow(kind, user_id, connection, sealed, utcnow() + FLOW_LIFETIME),
        )
        return state

    def take(self, state: str, kind: str) -> Flow | None:
        """The flow of a state, once: unknown, expired, reused or of another kind is ``None``."""
        now = utcnow()
        found = self._store.take(_hash(state))
        if found is None or found.kind != kind or found.expires_at <= now:
            return None
        return Flow(found.kind, found.user_id, found.connection, self._box.open(found.sealed))
