"""Server-side sign-in sessions: the cookie holds a random id, this table its life."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select

from belvedere.store.db import Database
from belvedere.store.models import User, WebSession, utcnow


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions live."""

    idle: timedelta
    absolute: timedelta


#: How long a resolved session is trusted without asking the database again (per process).
CACHE_SECONDS = 2.0
CACHE_SIZE = 10_000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Repository of sessions. Only hashes of session ids are stored."""

    def __init__(self, db: Database, policy: SessionPolicy) -> None:
        self._db = db
        self._policy = policy
        self._recent: dict[str, tuple[float, User]] = {}
        self._lock = threading.Lock()

    def peek(self, token: str) -> User | None:
        """The user of a session resolved in the last moments, without I/O; else ``None``."""
        with self._lock:
            entry = self._recent.get(_hash(token))
        if entry is None or time.monotonic() - entry[0] > CACHE_SECONDS:
            return None
        return entry[1]

    def _remember(self, id_hash: str, user: User) -> None:
        with self._lock:
            if len(self._recent) >= CACHE_SIZE:
                self._recent.clear()
            self._recent[id_hash] = (time.monotonic(), user)

    def _forget(self, id_hashes: list[str] | None = None, user_id: int | None = None) -> None:
        with self._lock:
            for id_hash in id_hashes or []:
                self._recent.pop(id_hash, None)
            if user_id is not None:
                for id_hash, (_, user) in list(self._recent.items()):
                    if user.id == user_id:
                        del self._recent[id_hash]

    def forget_user(self, user_id: int) -> None:
        """Read a changed user's account again at their next request (role, e-mail)."""
        self._forget(user_id=user_id)

    def start(self, user_id: int) -> str:
        """Create a session and return its (secret) id."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with self._db.session() as s:
            s.add(
                WebSession(
                    id_hash=_hash(token),
                    user_id=user_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self._policy.absolute,
                )
            )
        return token

    def resolve(self, token: str) -> User | None:
        """The active user of a live session, refreshing its idle timer; else ``None``."""
        now = utcnow()
        with self._db.session() as s:
            row = s.get(WebSession, _hash(token))
            if row is None:
                return None
            if now >= row.expires_at or now - row.last_seen_at >= self._policy.idle:
                s.delete(row)
                return None
            user = s.get(User, row.user_id)
            if user is None or not user.is_active:
                return None
            if now - row.last_seen_at > timedelta(seconds=60):
                row.last_seen_at = now
        self._remember(row.id_hash, user)
        return user

    def end(self, token: str) -> None:
        """End a session (sign-out)."""
        self._forget([_hash(token)])
        with self._db.session() as s:
            s.execute(delete(WebSession).where(WebSession.id_hash == _hash(token)))

    def end_all_for(self, user_id: int) -> None:
        """End every session of a user (e.g. when deactivated)."""
        self._forget(user_id=user_id)
        with self._db.session() as s:
            s.execute(delete(WebSession).where(WebSession.user_id == user_id))

    def purge_expired(self) -> int:
        """Delete sessions past their absolute expiry or idle too long; how many there were."""
        now = utcnow()
        expired = or_(
            WebSession.expires_at <= now, WebSession.last_seen_at <= now - self._policy.idle
        )
        with self._db.session() as s:
            ids = list(s.scalars(select(WebSession.id_hash).where(expired)))
            if ids:
                s.execute(delete(WebSession).where(WebSession.id_hash.in_(ids)))
        self._forget(ids)
        return len(ids)
