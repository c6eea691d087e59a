"""Revocation inside Belvedere is immediate: deactivating a user drops their grants, their access
tokens and their cached chart results at once; changing a connection's identity drops the
results cached under the old one. What Google changes reaches Belvedere within the configured
token lifetime (``BELVEDERE_IDENTITY_TOKEN_TTL_SECONDS``): no access token is reused longer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from belvedere.services import Services
from tests.identity.helpers import SALES_SQL, authorize, belvedere, rows_of, settings_for
from tests.support.bigquery.secure import SecureSales
from tests.support.faults import HttpProxy
from tests.support.google import GoogleService, service_account_key
from tests.support.identity import GrpcIdentityProxy
from tests.support.web.client import Client

BELVEDERE_SA = "belvedere@test-project.iam.gserviceaccount.com"
BQ_ALICE = "bq-alice@test-project.iam.gserviceaccount.com"
NORTH = [["north", 10], ["north", 20], ["north", 40]]
TOKEN_TTL = 60
MODES = ("user_oauth", "impersonation")


def identity_options(mode: str, google: GoogleService) -> dict[str, Any]:
    if mode == "user_oauth":
        return {"auth": "none", "identity": "user_oauth"}
    return {
        "auth": "service_account_key",
        "service_account_key": service_account_key(google.token_uri, email=BELVEDERE_SA),
        "identity": "impersonation",
        "impersonation_targets": {"user:alice@example.com": BQ_ALICE},
    }


@dataclass
class World:
    mode: str
    services: Services
    client: Callable[[], Client]
    google: GoogleService
    sales: SecureSales

    def alice(self) -> Client:
        """alice signed in (and, on user_oauth, having authorized the connection)."""
        client = self.client().login("alice")
        if self.mode == "user_oauth":
            assert authorize(client, self.google, "bq", "alice@example.com") == "/sqllab"
        return client

    def alices_tokens(self) -> int:
        """Access tokens Google has handed out for alice's identity so far."""
        principal = "user:alice@example.com" if self.mode == "user_oauth" else BQ_ALICE
        return sum(1 for t in self.google.access_tokens() if t.principal.endswith(principal))

    def explore(self, client: Client) -> dict[str, Any]:
        spec = {
            "type": "table",
            "source": {"kind": "table", "schema": self.sales.dataset, "table": self.sales.table},
            "limit": 1000,
        }
        response = client.post(
            "/api/v1/charts/explore", json={"connection": "bq", "spec": spec, "force": False}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


def connection_options(
    sales: SecureSales, rest: HttpProxy, grpc: GrpcIdentityProxy, **identity: Any
) -> dict[str, Any]:
    return {
        "project": sales.project,
        "api_endpoint": rest.url,
        "storage_api_endpoint": grpc.target,
        "storage_api_insecure": True,
        **identity,
    }


@pytest.fixture
def make_world(
    tmp_path: Path,
    google: GoogleService,
    identity_rest_proxy: HttpProxy,
    identity_grpc_proxy: GrpcIdentityProxy,
    secure_sales: SecureSales,
) -> Iterator[Callable[..., World]]:
    contexts: list[Any] = []

    def make(mode: str, identity: dict[str, Any], **settings: Any) -> World:
        context = belvedere(settings_for(tmp_path / "data", google, **settings))
        services, client = context.__enter__()
        contexts.append(context)
        services.connections.add(
            "bq",
            "bigquery",
            connection_options(secure_sales, identity_rest_proxy, identity_grpc_proxy, **identity),
        )
        return World(mode, services, client, google, secure_sales)

    yield make
    for context in contexts:
        context.__exit__(None, None, None)


def user_id(admin: Client, name: str) -> int:
    [found] = [u["id"] for u in admin.get("/api/v1/users").json() if u["username"] == name]
    return int(found)


@pytest.mark.parametrize("mode", MODES)
def test_deactivating_a_user_drops_their_grants_tokens_and_cached_results(
    make_world: Callable[..., World], google: GoogleService, mode: str
) -> None:
    world = make_world(mode, identity_options(mode, google))
    alice, admin = world.alice(), world.client().login()
    first = world.explore(alice)
    assert (first["cached"], sorted(first["rows"])) == (False, NORTH)
    assert world.explore(alice)["cached"] is True
    tokens = world.alices_tokens()
    assert tokens >= 1

    alice_id = user_id(admin, "alice")
    off = admin.patch(f"/api/v1/users/{alice_id}", json={"is_active": False})
    assert off.status_code == 200, off.text
    assert alice.get("/api/v1/history").status_code == 401  # her sessions ended
    assert admin.patch(f"/api/v1/users/{alice_id}", json={"is_active": True}).status_code == 200

    back = world.client().login("alice")
    if mode == "user_oauth":  # her grant is gone: she authorizes again
        refused = back.post("/api/v1/runs", json={"connection": "bq", "sql": SALES_SQL})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "authorization_required"
        assert authorize(back, google, "bq", "alice@example.com") == "/sqllab"
    again = world.explore(back)
    # Her cached result is not served again: the query runs anew, with a token minted anew.
    assert (again["cached"], sorted(again["rows"])) == (False, NORTH)
    assert world.alices_tokens() > tokens


def test_changing_a_connections_identity_drops_its_cached_results(
    make_world: Callable[..., World], google: GoogleService
) -> None:
    # A shared connection acting as Belvedere's own account, which no row policy grants.
    world = make_world(
        "service_account",
        {
            "auth": "service_account_key",
            "service_account_key": service_account_key(google.token_uri, email=BELVEDERE_SA),
        },
    )
    alice, admin = world.client().login("alice"), world.client().login()
    first = world.explore(alice)
    assert (first["cached"], first["rows"]) == (False, [])
    assert world.explore(alice)["cached"] is True

    # The admin gives the connection another account: bq-alice's, granted the north rows.
    key = service_account_key(google.token_uri, email=BQ_ALICE)
    changed = admin.patch("/api/v1/connections/bq", json={"options": {"service_account_key": key}})
    assert changed.status_code == 200, changed.text
    after = world.explore(alice)
    assert (after["cached"], sorted(after["rows"])) == (False, NORTH)


@pytest.mark.parametrize("mode", MODES)
def test_no_access_token_is_reused_longer_than_the_token_lifetime(
    make_world: Callable[..., World],
    google: GoogleService,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    world = make_world(mode, identity_options(mode, google), identity_token_ttl_seconds=TOKEN_TTL)
    alice = world.alice()

    def run() -> None:
        response = alice.post(
            "/api/v1/runs", json={"connection": "bq", "sql": SALES_SQL, "wait_ms": 20_000}
        )
        assert rows_of(response.json()) == NORTH

    run()
    minted = world.alices_tokens()
    run()
    assert world.alices_tokens() == minted  # within the lifetime: reused

    # The clock google-auth reads moves past the lifetime (Google's own lifetime is an hour).
    from google.auth import _helpers

    now = _helpers.utcnow()
    monkeypatch.setattr(_helpers, "utcnow", lambda: now + timedelta(seconds=TOKEN_TTL + 1))
    run()
    assert world.alices_tokens() == minted + 1
