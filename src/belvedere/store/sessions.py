"""Server-side sign-in sessions: the cookie holds a random id, this table its life."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Sequence
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
        self._forgotten = 0  # moves on at each drop: a read from before one is not kept
        self._lock = threading.Lock()
        self.on_end: list[Callable[[Sequence[str], int | None], None]] = []
        """Called once sessions ended (blocking), in the process that ended them: with their id
        hashes, or with a user's id when all of theirs did (to tell the other processes)."""

    def peek(self, token: str) -> User | None:
        """The user of a session resolved in the last moments, without I/O; else ``None``."""
        with self._lock:
            entry = self._recent.get(_hash(token))
        if entry is None or time.monotonic() - entry[0] > CACHE_SECONDS:
            return None
        return entry[1]

    def _remember(self, id_hash: str, user: User, read_after: int) -> None:
        """Keep a resolved session, unless something was dropped since it was read."""
        with self._lock:
            if self._forgotten != read_after:
                return
            if len(self._recent) >= CACHE_SIZE:
                self._recent.clear()
            self._recent[id_hash] = (time.monotonic(), user)

    def forget(self, id_hashes: Sequence[str] = (), user_id: int | None = None) -> None:
        """Drop this process's copies of sessions (by id hash) or of a user's sessions."""
        with self._lock:
            self._forgotten += 1
            for id_hash in id_hashes:
                self._recent.pop(id_hash, None)
            if user_id is not None:
                for id_hash, (_, user) in list(self._recent.items()):
                    if user.id == user_id:
                        del self._recent[id_hash]

    def forget_user(self, user_id: int) -> None:
        """Read a changed user's account again at their next request (role, e-mail)."""
        self.forget(user_id=user_id)

    def forget_all(self) -> None:
        """Drop every copy this process keeps (what ended elsewhere may have been missed)."""
        with self._lock:
            self._forgotten += 1
            self._recent.clear()

    def _ended(self, id_hashes: Sequence[str] = (), user_id: int | None = None) -> None:
        self.forget(id_hashes, user_id)
        for hook in self.on_end:
            hook(id_hashes, user_id)

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
        with self._lock:
            read_after = self._forgotten
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
        self._remember(row.id_hash, user, read_after)
        return user

    def end(self, token: str) -> None:
        """End a session (sign-out)."""
        with self._db.session() as s:
            s.execute(delete(WebSession).where(WebSession.id_hash == _hash(token)))
        self._ended([_hash(token)])

    def end_all_for(self, user_id: int) -> None:
        """End every session of a user (deactivated, password changed)."""
        with self._db.session() as s:
            s.execute(delete(WebSession).where(WebSession.user_id == user_id))
        self._ended(user_id=user_id)

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
        self.forget(ids)  # expired everywhere: other processes' copies outlive it 2 s at most
        return len(ids)
