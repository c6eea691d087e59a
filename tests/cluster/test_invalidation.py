"""Two hosts of one installation (two ``Services`` over one metadata store and one broker):
what one host changes, the other forgets within a second, though it had it cached: sign-outs,
password changes, connection changes, revoked grants; and after Redis restarts, each host
drops what it cached, since messages may have been missed meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from belvedere.auth.cookies import SESSION_COOKIE
from belvedere.auth.roles import Role
from belvedere.execution.runs import Actor
from belvedere.identity.principal import Principal, user_key_prefix
from belvedere.services import DEMO_CONNECTION, Services
from belvedere.settings import Settings
from tests.support.servers.redis import RedisServer
from tests.support.web.client import PASSWORD, Client, app_clients

WITHIN = 1.0
"""How soon a change made on one host is seen on the other."""


def eventually(condition: Callable[[], bool], within: float = WITHIN) -> bool:
    """Whether ``condition()`` holds before ``within`` seconds pass (polled)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def hosts(tmp_path: Path, redis: RedisServer, demo_path: Path) -> Iterator[list[Services]]:
    """Hosts A and B: one metadata store, one broker, one secret key, a data dir each."""
    built: list[Services] = []
    try:
        for host in ("a", "b"):
            settings = Settings(
                data_dir=tmp_path / host,
                database_url=f"sqlite:///{tmp_path / 'metadata.db'}",
                broker_url=redis.url(),
                secret_key="one-key-for-every-host-of-this-installation",
                admin_password=PASSWORD,
                demo=False,
            )
            built.append(Services(settings))
        a = built[0]
        a.first_start()
        a.connections.add(DEMO_CONNECTION, "duckdb", {"path": str(demo_path), "read_only": True})
        a.users.create("alice", Role.EDITOR, PASSWORD)
        yield built
    finally:
        for services in built:
            services.close()


def signed_in_on(client: Client) -> bool:
    return client.get("/api/v1/auth/me").status_code == 200


def session_of(client: Client) -> str:
    """The session id in a client's signed cookie."""
    sid = client.app.state.cookies.unsign(client.cookies[SESSION_COOKIE])  # type: ignore[attr-defined]
    assert sid
    return str(sid)


def with_cookies_of(client: Client, make: Callable[[], Client]) -> Client:
    """A client of another host carrying ``client``'s cookies (the same browser)."""
    other = make()
    other.cookies.update(client.cookies)
    return other


def test_signing_out_on_one_host_ends_the_session_on_the_other(hosts: list[Services]) -> None:
    a, b = hosts
    with app_clients(a) as on_a, app_clients(b) as on_b:
        alice_a = on_a().login("alice")
        alice_b = with_cookies_of(alice_a, on_b)
        assert signed_in_on(alice_b)
        sid = session_of(alice_a)
        assert b.sessions.peek(sid) is not None  # B has it cached

        assert alice_a.post("/api/v1/auth/logout").status_code == 204

        assert eventually(lambda: b.sessions.peek(sid) is None)
        assert not signed_in_on(alice_b)


def test_changing_a_password_ends_the_other_sessions_on_every_host(
    hosts: list[Services],
) -> None:
    a, b = hosts
    with app_clients(a) as on_a, app_clients(b) as on_b:
        alice_a, alice_b = on_a().login("alice"), on_b().login("alice")  # two browsers
        assert signed_in_on(alice_b)
        assert b.sessions.peek(session_of(alice_b)) is not None  # B has it cached

        changed = alice_a.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": "another-long-password"},
        )
        assert changed.status_code == 204, changed.text

        assert eventually(lambda: not signed_in_on(alice_b))
        assert signed_in_on(alice_a)  # the session that changed it goes on


def test_a_changed_role_shows_on_the_other_host(hosts: list[Services]) -> None:
    a, b = hosts
    with app_clients(a) as on_a, app_clients(b) as on_b:
        admin, alice_b = on_a().login(), on_b().login("alice")
        assert alice_b.get("/api/v1/auth/me").json()["user"]["role"] == Role.EDITOR
        alice = a.users.by_username("alice")
        assert alice is not None

        patched = admin.patch(f"/api/v1/users/{alice.id}", json={"role": Role.VIEWER})
        assert patched.status_code == 200, patched.text

        assert eventually(
            lambda: alice_b.get("/api/v1/auth/me").json()["user"]["role"] == Role.VIEWER
        )


def test_a_connection_changed_on_one_host_is_read_again_on_the_other(
    hosts: list[Services],
) -> None:
    a, b = hosts
    assert b.connections.get(DEMO_CONNECTION).options.get("read_only") is True  # cached on B
    backend = b.connections.warehouse(DEMO_CONNECTION)

    a.connections.update(DEMO_CONNECTION, {"read_only": False})

    assert eventually(lambda: b.connections.get(DEMO_CONNECTION).options.get("read_only") is False)
    assert b.connections.warehouse(DEMO_CONNECTION) is not backend  # the old one was closed


def test_a_revoked_grant_closes_the_other_hosts_backend_of_that_identity(
    hosts: list[Services],
) -> None:
    a, b = hosts
    alice = a.users.by_username("alice")
    assert alice is not None
    hers = Principal(f"{user_key_prefix(alice.id)}token", "user:alice@example.com")
    her_backend = b.connections.warehouse(DEMO_CONNECTION, hers)
    shared_backend = b.connections.warehouse(DEMO_CONNECTION)

    a.revocation.grant(alice.id, DEMO_CONNECTION)  # disconnected, or found dead, on A

    assert eventually(lambda: b.connections.warehouse(DEMO_CONNECTION, hers) is not her_backend)
    assert b.connections.warehouse(DEMO_CONNECTION) is shared_backend  # others' stay


def test_after_redis_restarts_each_host_drops_what_it_cached(
    hosts: list[Services], redis: RedisServer
) -> None:
    a, b = hosts
    admin = b.users.by_username("admin")
    assert admin is not None
    catalog = asyncio.run(b.catalog.get(DEMO_CONNECTION, Actor.of(admin)))
    backend = b.connections.warehouse(DEMO_CONNECTION)
    back = threading.Event()
    b.bus.on_reconnect(back.set)  # after the hooks wired before it

    redis.stop()
    a.connections.update(DEMO_CONNECTION, {"read_only": False})  # B cannot hear of it
    token = a.sessions.start(admin.id)
    assert b.sessions.resolve(token) is not None
    redis.start()

    assert back.wait(5.0), "host B did not reconnect"
    assert b.sessions.peek(token) is None
    assert b.connections.peek(DEMO_CONNECTION) is None
    assert b.connections.get(DEMO_CONNECTION).options.get("read_only") is False
    assert b.connections.warehouse(DEMO_CONNECTION) is not backend
    assert asyncio.run(b.catalog.get(DEMO_CONNECTION, Actor.of(admin))) is not catalog


def test_a_redis_blip_leaves_the_backends_of_unchanged_connections_running(
    hosts: list[Services], redis: RedisServer
) -> None:
    _, b = hosts
    backend = b.connections.warehouse(DEMO_CONNECTION)
    back = threading.Event()
    b.bus.on_reconnect(back.set)
    redis.stop()
    redis.start()
    assert back.wait(5.0), "host B did not reconnect"
    # Nothing changed while the bus was away: queries running on the backend go on.
    assert b.connections.warehouse(DEMO_CONNECTION) is backend
