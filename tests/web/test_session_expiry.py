"""Expired sign-in sessions are deleted from the store: at server start and from time to
time after, not only when their cookie comes back."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, update

from belvedere.services import Services
from belvedere.store.models import WebSession, utcnow
from tests.support.web.client import MakeClient


def _stored(services: Services) -> set[str]:
    with services.db.session() as s:
        return set(s.scalars(select(WebSession.id_hash)))


def _age(services: Services, **changes: object) -> str:
    """A new session of the admin, then changed in the store (e.g. made to expire)."""
    before = _stored(services)
    admin = services.users.by_username("admin")
    assert admin is not None
    services.sessions.start(admin.id)
    (id_hash,) = _stored(services) - before
    if changes:
        with services.db.session() as s:
            s.execute(update(WebSession).where(WebSession.id_hash == id_hash).values(**changes))
    return id_hash


def test_expired_and_idle_sessions_are_purged(services: Services) -> None:
    now = utcnow()
    expired = _age(services, expires_at=now - timedelta(seconds=1))
    idle = _age(services, last_seen_at=now - timedelta(days=30))
    live = _age(services)
    assert services.sessions.purge_expired() == 2
    assert _stored(services) == {live}
    assert expired not in _stored(services) and idle not in _stored(services)


def test_the_server_purges_expired_sessions_when_it_starts(
    services: Services, app_client: MakeClient
) -> None:
    expired = _age(services, expires_at=utcnow() - timedelta(minutes=1))
    live = _age(services)
    app_client()  # the app's lifespan starts its chores
    deadline = time.monotonic() + 10
    while expired in _stored(services) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stored(services) == {live}
