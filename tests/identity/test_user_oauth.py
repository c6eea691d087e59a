"""user_oauth: everyone queries BigQuery as themselves. alice and bob authorize once, run the
same SQL and the same saved query, and get their own rows, over REST and over the Storage API;
a revoked grant leads back to the prompt; grants never leak."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from belvedere.services import Services
from tests.identity.helpers import SALES_SQL, authorize, belvedere, local, rows_of, settings_for
from tests.support.bigquery.secure import SecureSales
from tests.support.faults import HttpProxy
from tests.support.google import GoogleService
from tests.support.identity import GrpcIdentityProxy
from tests.support.web.client import Client

NORTH = [["north", 10], ["north", 20], ["north", 40]]
CATALOG_SECONDS = 120  # the emulator loads a dataset's columns in seconds
SOUTH = [["south", 30], ["south", 50]]


@pytest.fixture
def world(
    tmp_path: Path,
    google: GoogleService,
    identity_rest_proxy: HttpProxy,
    identity_grpc_proxy: GrpcIdentityProxy,
    secure_sales: SecureSales,
) -> Iterator[tuple[Services, Callable[[], Client]]]:
    with belvedere(settings_for(tmp_path / "data", google)) as (services, client):
        services.connections.add(
            "bq",
            "bigquery",
            {
                "project": secure_sales.project,
                "auth": "none",
                "identity": "user_oauth",
                "api_endpoint": identity_rest_proxy.url,
                "storage_api_endpoint": identity_grpc_proxy.target,
                "storage_api_insecure": True,
            },
        )
        yield services, client


def run(client: Client, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/runs", json={"connection": "bq", "wait_ms": 20_000, **body})
    return response.json()


def test_without_a_grant_users_are_asked_to_connect(
    world: tuple[Services, Callable[[], Client]],
) -> None:
    _, client = world
    alice = client().login("alice")
    response = alice.post("/api/v1/runs", json={"connection": "bq", "sql": SALES_SQL})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "authorization_required"
    assert error["message"] == "Connect your Google account to query bq."
    assert error["authorize_url"] == "/auth/warehouse/start?connection=bq&next=%2Fsqllab"
    assert alice.get("/api/v1/connections/bq/catalog").status_code == 403
    assert alice.get("/api/v1/me/authorizations").json() == [
        {
            "connection": "bq",
            "authorized": False,
            "authorize_url": "/auth/warehouse/start?connection=bq&next=%2Fsqllab",
        }
    ]


def test_alice_and_bob_see_their_own_rows(
    world: tuple[Services, Callable[[], Client]],
    google: GoogleService,
    identity_rest_proxy: HttpProxy,
    identity_grpc_proxy: GrpcIdentityProxy,
) -> None:
    _, client = world
    alice, bob = client().login("alice"), client().login("bob")
    assert authorize(alice, google, "bq", "alice@example.com") == "/sqllab"
    assert authorize(bob, google, "bq", "bob@example.com") == "/sqllab"

    # The same SQL over REST (a query job): each sees their region only.
    alice_run, bob_run = run(alice, sql=SALES_SQL), run(bob, sql=SALES_SQL)
    assert rows_of(alice_run) == NORTH
    assert rows_of(bob_run) == SOUTH
    assert (alice_run["principal"], bob_run["principal"]) == (
        "user:alice@example.com",
        "user:bob@example.com",
    )
    callers = {r.sent_headers.get("x-bqemu-caller") for r in identity_rest_proxy.requests}
    assert callers == {"user:alice@example.com", "user:bob@example.com"}

    # The same table over the Storage Read API (a whole-table read): the policies hold too.
    table = {"schema": "secure", "name": "sales"}
    alice_read, bob_read = run(alice, table=table, export=True), run(bob, table=table, export=True)
    assert (alice_read["row_count"], bob_read["row_count"]) == (3, 2)
    assert {c.principal for c in identity_grpc_proxy.calls} == {
        "user:alice@example.com",
        "user:bob@example.com",
    }

    # The same saved query, shared by alice, run by both.
    saved = alice.post(
        "/api/v1/saved-queries",
        json={"connection": "bq", "name": "sales", "sql": SALES_SQL, "shared": True},
    ).json()
    assert rows_of(alice.post(f"/api/v1/saved-queries/{saved['id']}/run", json={}).json()) == NORTH
    assert rows_of(bob.post(f"/api/v1/saved-queries/{saved['id']}/run", json={}).json()) == SOUTH

    # bob never gets alice's results: not by id, not from a cache.
    for path in (
        f"/api/v1/runs/{alice_run['id']}",
        f"/api/v1/runs/{alice_run['id']}/results",
        f"/api/v1/runs/{alice_run['id']}/export",
    ):
        assert bob.get(path).status_code == 404
    assert rows_of(run(bob, sql=SALES_SQL)) == SOUTH  # after alice ran it again below too
    assert rows_of(run(alice, sql=SALES_SQL)) == NORTH

    # The audit log says who ran what as whom.
    admin = client().login()
    principals = {
        e["user"]: e["principal"]
        for e in admin.get("/api/v1/audit?connection=bq").json()["entries"]
    }
    assert principals == {"alice": "user:alice@example.com", "bob": "user:bob@example.com"}


def test_catalog_is_per_identity(
    world: tuple[Services, Callable[[], Client]],
    google: GoogleService,
    identity_rest_proxy: HttpProxy,
) -> None:
    _, client = world
    alice, bob = client().login("alice"), client().login("bob")
    authorize(alice, google, "bq", "alice@example.com")
    authorize(bob, google, "bq", "bob@example.com")
    deadline = time.monotonic() + CATALOG_SECONDS
    while not alice.get("/api/v1/connections/bq/catalog").json()["complete"]:
        assert time.monotonic() < deadline, "alice's catalog did not complete in time"
        time.sleep(0.1)  # her columns still loading, as her
    identity_rest_proxy.clear()
    assert bob.get("/api/v1/connections/bq/catalog").status_code == 200
    # bob's catalog was loaded as bob, not served from alice's.
    callers = {r.sent_headers.get("x-bqemu-caller") for r in identity_rest_proxy.requests}
    assert callers == {"user:bob@example.com"}


def test_a_revoked_grant_leads_back_to_the_prompt(
    world: tuple[Services, Callable[[], Client]], google: GoogleService
) -> None:
    _, client = world
    alice = client().login("alice")
    authorize(alice, google, "bq", "alice@example.com")
    assert rows_of(run(alice, sql=SALES_SQL)) == NORTH
    google.revoke_user("alice@example.com")
    google.expire_all()
    failed = alice.post(
        "/api/v1/runs", json={"connection": "bq", "sql": SALES_SQL, "wait_ms": 20_000}
    )
    assert failed.status_code == 403
    assert failed.json()["error"]["code"] == "authorization_required"
    again = alice.post("/api/v1/runs", json={"connection": "bq", "sql": SALES_SQL})
    assert (again.status_code, again.json()["error"]["code"]) == (403, "authorization_required")
    authorize(alice, google, "bq", "alice@example.com")
    assert rows_of(run(alice, sql=SALES_SQL)) == NORTH


def test_the_flow_checks_state_and_pkce(
    world: tuple[Services, Callable[[], Client]], google: GoogleService
) -> None:
    _, client = world
    alice, bob = client().login("alice"), client().login("bob")
    start = alice.get("/auth/warehouse/start?connection=bq", follow_redirects=False).headers[
        "location"
    ]
    assert "code_challenge_method=S256" in start and "state=" in start
    back = local(google.consent(start, "alice@example.com"))
    stolen = bob.get(back, follow_redirects=False)  # bob replays alice's callback
    assert stolen.status_code == 400
    assert "started by another user" in stolen.text
    replay = alice.get(back, follow_redirects=False)  # the state was used up
    assert replay.status_code == 400
    assert "expired or was not started here" in replay.text
    forged = alice.get("/auth/warehouse/callback?state=forged&code=x", follow_redirects=False)
    assert forged.status_code == 400
    declined_start = alice.get(
        "/auth/warehouse/start?connection=bq", follow_redirects=False
    ).headers["location"]
    google.deny_next = True
    declined = alice.get(
        local(google.consent(declined_start, "alice@example.com")), follow_redirects=False
    )
    assert (declined.status_code, "you declined" in declined.text) == (400, True)
    [exchange] = [
        r for r in google.requests_to("token") if r.form.get("grant_type") == "authorization_code"
    ] or [None]
    assert exchange is None  # no code was ever redeemed by these failed attempts


def test_grants_never_leak(
    world: tuple[Services, Callable[[], Client]],
    google: GoogleService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services, client = world
    caplog.set_level(logging.DEBUG)
    alice = client().login("alice")
    authorize(alice, google, "bq", "alice@example.com")
    run(alice, sql=SALES_SQL)
    secrets = [t.token for t in google.refresh_tokens()] + [t.token for t in google.access_tokens()]
    assert secrets
    admin = client().login()
    pages = [
        alice.get("/api/v1/me/authorizations").text,
        alice.get("/api/v1/history").text,
        alice.get("/sqllab", headers={"accept": "text/html"}).text,
        admin.get("/api/v1/audit").text,
        admin.get("/api/v1/connections").text,
        caplog.text,
    ]
    stored = (services.settings.data_dir / "belvedere.db").read_bytes()
    for secret in secrets:
        for page in pages:
            assert secret not in page
        assert secret.encode() not in stored


def test_disconnect(world: tuple[Services, Callable[[], Client]], google: GoogleService) -> None:
    _, client = world
    alice = client().login("alice")
    authorize(alice, google, "bq", "alice@example.com")
    assert alice.get("/api/v1/me/authorizations").json()[0]["authorized"] is True
    assert alice.delete("/api/v1/me/authorizations/bq").status_code == 204
    assert alice.get("/api/v1/me/authorizations").json()[0]["authorized"] is False
    assert (
        alice.post("/api/v1/runs", json={"connection": "bq", "sql": SALES_SQL}).status_code == 403
    )
