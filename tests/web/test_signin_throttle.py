"""Sign-in throttling: 429 with Retry-After after failed passwords, per account and per client
address, growing up to a cap; known addresses, the CLI and the right password after the wait get
back in. Time comes from a clock the tests move, never from sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from httpx import Response

from belvedere.auth.throttle import SignInThrottle, ThrottlePolicy
from belvedere.cli.main import cli
from belvedere.services import Services
from belvedere.store.db import Database
from tests.support.web.client import PASSWORD, Client, MakeClient, app_clients

WRONG = "not-the-password"


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now().astimezone()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(services: Services) -> Clock:
    clock = Clock()
    services.throttle.clock = clock
    return clock


@pytest.fixture
def from_address(app_client: MakeClient) -> Callable[[str], Client]:
    """Makes clients that connect from a given address."""

    def make(address: str) -> Client:
        client = app_client(client=(address, 50000))
        client.get("/api/v1/auth/csrf")
        return client

    return make


def sign_in(client: Client, password: str, username: str = "admin", **kw: Any) -> Response:
    body = {"username": username, "password": password}
    response: Response = client.post("/api/v1/auth/login", json=body, **kw)
    return response


def lock(client: Client, username: str = "admin") -> None:
    """Send the free failures; the next attempt is refused."""
    for _ in range(5):
        assert sign_in(client, WRONG, username).status_code == 401


def test_wrong_passwords_then_429_with_retry_after(
    clock: Clock, from_address: Callable[[str], Client]
) -> None:
    client = from_address("203.0.113.7")
    lock(client)
    refused = sign_in(client, PASSWORD)  # even the right one: the password is not checked
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert "try again in 30 seconds" in refused.json()["error"]["message"]
    clock.advance(10)
    assert sign_in(client, WRONG).headers["retry-after"] == "20"  # refusals do not add up


def test_the_lockout_doubles_up_to_its_cap(
    clock: Clock, from_address: Callable[[str], Client]
) -> None:
    client = from_address("203.0.113.7")
    lock(client)
    waits = []
    for _ in range(8):
        wait = int(sign_in(client, WRONG).headers["retry-after"])
        waits.append(wait)
        clock.advance(wait)
        assert sign_in(client, WRONG).status_code == 401
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]


def test_the_right_password_after_the_wait_works_and_forgets(
    clock: Clock, from_address: Callable[[str], Client]
) -> None:
    client = from_address("203.0.113.7")
    lock(client)
    clock.advance(int(sign_in(client, PASSWORD).headers["retry-after"]))
    assert sign_in(client, PASSWORD).status_code == 200
    lock(client)  # the failures were forgotten: five free ones again
    assert sign_in(client, WRONG).status_code == 429


def test_failures_are_forgotten_after_a_quiet_day(
    clock: Clock, from_address: Callable[[str], Client]
) -> None:
    client = from_address("203.0.113.7")
    for _ in range(4):
        assert sign_in(client, WRONG).status_code == 401
    clock.advance(25 * 3600)
    for _ in range(4):
        assert sign_in(client, WRONG).status_code == 401
    assert sign_in(client, PASSWORD).status_code == 200


def test_one_address_trying_many_accounts_is_refused(
    clock: Clock, from_address: Callable[[str], Client]
) -> None:
    guesser = from_address("203.0.113.7")
    for name in ("alice", "bob", "carol", "dave", "erin"):
        assert sign_in(guesser, WRONG, name).status_code == 401
    assert sign_in(guesser, PASSWORD).status_code == 429
    # The accounts themselves are not locked: the admin elsewhere is not affected.
    assert sign_in(from_address("198.51.100.2"), PASSWORD).status_code == 200


def test_x_forwarded_for_is_not_believed_in_the_app(
    clock: Clock, from_address: Callable[[str], Client]
) -> None:
    guesser = from_address("203.0.113.7")
    for i in range(6):
        forged = {"x-forwarded-for": f"192.0.2.{i}"}
        answer = sign_in(guesser, WRONG, f"user{i}", headers=forged)
    assert answer.status_code == 429


def test_an_attacker_cannot_lock_the_admin_out_of_a_known_address(
    clock: Clock, from_address: Callable[[str], Client]
) -> None:
    office = from_address("198.51.100.2")
    assert sign_in(office, PASSWORD).status_code == 200
    for address in ("203.0.113.7", "203.0.113.8", "203.0.113.9"):  # rotating addresses
        attacker = from_address(address)
        for _ in range(2):
            sign_in(attacker, WRONG)
    assert sign_in(from_address("203.0.113.10"), PASSWORD).status_code == 429  # account locked
    assert sign_in(office, PASSWORD).status_code == 200  # but not from where the admin signs in
    # The admin's success did not reset the account's lock for the attacker.
    assert sign_in(from_address("203.0.113.11"), WRONG).status_code == 429


def test_cli_unlock_ends_the_refusal(
    services: Services,
    clock: Clock,
    from_address: Callable[[str], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = from_address("203.0.113.7")
    lock(client, "admin")
    assert sign_in(from_address("198.51.100.2"), PASSWORD).status_code == 429
    monkeypatch.setenv("BELVEDERE_DATA_DIR", str(services.settings.data_dir))
    listed = CliRunner().invoke(cli, ["users", "locked"], catch_exceptions=False)
    assert "account\tadmin\t5 failures" in listed.stdout
    assert "address\t203.0.113.7\t5 failures" in listed.stdout
    done = CliRunner().invoke(cli, ["users", "unlock", "admin"], catch_exceptions=False)
    assert done.exit_code == 0
    assert "Unlocked 'admin'" in done.stdout
    assert sign_in(from_address("198.51.100.2"), PASSWORD).status_code == 200
    assert sign_in(client, PASSWORD).status_code == 429  # the address still waits
    CliRunner().invoke(cli, ["users", "unlock", "admin", "--address", "203.0.113.7"])
    assert sign_in(client, PASSWORD).status_code == 200


def test_every_server_process_sees_the_same_failures(
    services: Services, clock: Clock, from_address: Callable[[str], Client]
) -> None:
    lock(from_address("203.0.113.7"))
    other = Services(services.settings)  # another worker process's services, same store
    try:
        other.throttle.clock = clock
        with app_clients(other) as make:
            client = make(client=("198.51.100.2", 50000))
            client.get("/api/v1/auth/csrf")
            assert sign_in(client, PASSWORD).status_code == 429
    finally:
        other.close()


def test_changing_the_password_is_throttled_too(
    clock: Clock, from_address: Callable[[str], Client]
) -> None:
    client = from_address("203.0.113.7")
    assert sign_in(client, PASSWORD).status_code == 200
    change = {"current_password": WRONG, "new_password": "another-long-password"}
    for _ in range(5):
        assert client.post("/api/v1/auth/password", json=change).status_code == 400
    refused = client.post("/api/v1/auth/password", json=change)
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "30")


def test_serve_believes_forwarded_headers_only_from_trusted_proxies(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("belvedere.cli.serve.uvicorn.run", lambda app, **kw: seen.update(kw))
    monkeypatch.setenv("BELVEDERE_DATA_DIR", str(services.settings.data_dir))
    monkeypatch.setenv("BELVEDERE_DEMO", "false")
    monkeypatch.setenv("BELVEDERE_TRUSTED_PROXIES", "")
    CliRunner().invoke(cli, ["serve"], catch_exceptions=False)
    assert seen["proxy_headers"] is False
    monkeypatch.setenv("BELVEDERE_TRUSTED_PROXIES", "10.1.2.3")
    CliRunner().invoke(cli, ["serve"], catch_exceptions=False)
    assert (seen["proxy_headers"], seen["forwarded_allow_ips"]) == (True, "10.1.2.3")


def test_counting_is_atomic_on_each_metadata_store(metadata_url: str) -> None:
    db = Database(metadata_url)
    db.migrate()
    clock = Clock()
    throttle = SignInThrottle(db, ThrottlePolicy(free_failures=2), clock)
    try:
        throttle.failed("Admin", "203.0.113.7")
        assert throttle.wait("admin", "198.51.100.2") is None
        throttle.failed("admin ", "198.51.100.2")  # one account, whatever the case and spaces
        assert throttle.wait("admin", "192.0.2.1") == timedelta(seconds=30)
        assert [(r.kind, r.name, r.failures) for r in throttle.refusals()] == [
            ("account", "admin", 2)
        ]
        clock.advance(30)
        throttle.failed("admin", "192.0.2.1")
        assert throttle.wait("admin", "192.0.2.1") == timedelta(seconds=60)
        assert throttle.unlock("admin") == 1
        assert throttle.wait("admin", "192.0.2.1") is None
    finally:
        db.dispose()


def test_an_operator_trusts_an_address_that_others_cannot_lock_out(
    services: Services,
    clock: Clock,
    from_address: Callable[[str], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Someone who keeps guessing keeps the account refused from addresses it never signed in
    from; the CLI lets the admin's own address in whatever they do."""
    lock(from_address("203.0.113.7"), "admin")
    fresh_office = from_address("198.51.100.9")
    assert sign_in(fresh_office, PASSWORD).status_code == 429
    monkeypatch.setenv("BELVEDERE_DATA_DIR", str(services.settings.data_dir))
    done = CliRunner().invoke(
        cli, ["users", "unlock", "admin", "--trust", "198.51.100.9"], catch_exceptions=False
    )
    assert "198.51.100.9 may sign in to 'admin'" in done.stdout
    lock(from_address("203.0.113.8"), "admin")  # the guessing goes on from elsewhere
    assert sign_in(from_address("198.51.100.10"), PASSWORD).status_code == 429
    assert sign_in(fresh_office, PASSWORD).status_code == 200
