"""Per-user identity is a backend capability: ``belvedere.identity`` names no warehouse or
provider, and a backend it has never heard of (a Snowflake-like one, here) gets principals,
authorization prompts and authorization links from its capability alone."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import BaseModel

import belvedere.identity
from belvedere.auth.roles import Role
from belvedere.execution.runs import Actor
from belvedere.identity.authorize import authorize_url
from belvedere.identity.oauth import authorization_url, client, new_secret
from belvedere.identity.principal import CONNECTION_IDENTITY, IdentityError
from belvedere.identity.service import AuthorizationRequired, IdentityService
from belvedere.identity.vault import TokenVault
from belvedere.security.secretbox import SecretBox
from belvedere.settings import Settings
from belvedere.store.db import Database
from belvedere.store.users import Users
from belvedere.warehouses.base import (
    IdentityMode,
    Impersonation,
    PerUserIdentity,
    Query,
    TableInfo,
    UserAuthorization,
    Warehouse,
)
from belvedere.warehouses.bigquery.backend import BigQueryWarehouse
from belvedere.warehouses.duckdb.backend import DuckDBWarehouse

IDENTITY_PACKAGE = Path(belvedere.identity.__file__).parent
#: What generic identity code must not mention (a backend's capability says it instead).
FORBIDDEN = re.compile(r"bigquery|google", re.IGNORECASE)


def test_identity_names_no_warehouse_or_provider() -> None:
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(IDENTITY_PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert found == []


class FlakeOptions(BaseModel):
    account: str
    identity: str = "shared"
    roles: dict[str, str] = {}


class FlakeWarehouse(Warehouse):
    """A stand-in for a warehouse with OAuth and role switching that identity/ never heard of."""

    kind: ClassVar[str] = "flake"
    label: ClassVar[str] = "Flake"
    options_model: ClassVar[type[BaseModel]] = FlakeOptions
    identity_modes: ClassVar[frozenset[IdentityMode]] = frozenset(IdentityMode)
    identity_provider: ClassVar[str] = "Flake"

    @classmethod
    def identity_mode(cls, options: BaseModel) -> IdentityMode:
        assert isinstance(options, FlakeOptions)
        return {
            "shared": IdentityMode.CONNECTION,
            "oauth": IdentityMode.USER_GRANT,
            "role": IdentityMode.IMPERSONATION,
        }[options.identity]

    @classmethod
    def user_authorization(cls, options: BaseModel, settings: Settings) -> UserAuthorization:
        assert isinstance(options, FlakeOptions)
        base = f"https://{options.account}.flake.example/oauth"
        return UserAuthorization(
            authorize_url=f"{base}/authorize",
            token_url=f"{base}/token-request",
            client_id="flake-client",
            client_secret="flake-secret",
            scopes=("refresh_token", "session:role-any"),
        )

    @classmethod
    def grant_credentials(
        cls, grant: Mapping[str, Any], options: BaseModel, settings: Settings
    ) -> Callable[[], Any]:
        return lambda: {"refresh_token": grant["refresh_token"]}

    @classmethod
    def grant_name(cls, email: str) -> str:
        return f"flake-user:{email}"

    @classmethod
    def impersonation(
        cls,
        options: BaseModel,
        email: str | None,
        groups: Sequence[str],
        connection: str,
        settings: Settings,
    ) -> Impersonation:
        assert isinstance(options, FlakeOptions)
        role = next((options.roles[g] for g in groups if g in options.roles), None)
        if role is None:
            raise IdentityError(f"No role of yours on {connection}.")
        return Impersonation(role, f"role:{role}", lambda: {"role": role})

    def query(self, sql: str, params: Any = None, context: Any = None) -> Query:
        raise NotImplementedError

    def list_schemas(self) -> list[str]:
        return []

    def list_tables(self, schema: str) -> list[TableInfo]:
        return []

    def describe(self, schema: str, table: str) -> TableInfo:
        raise NotImplementedError

    def translate_error(self, exc: Exception, sql: str | None = None) -> Exception:
        return exc


@pytest.fixture
def identity(tmp_path: Path) -> tuple[IdentityService, int]:
    db = Database(f"sqlite:///{tmp_path / 'meta.db'}")
    db.migrate()
    user = Users(db).create("alice", Role.EDITOR, "a-long-password-1", email="alice@example.com")
    return IdentityService(Settings(), TokenVault(db, SecretBox(b"k" * 32, "grants"))), user.id


def test_capability_is_declared_by_backend_classes() -> None:
    assert isinstance(FlakeWarehouse, PerUserIdentity)
    assert isinstance(BigQueryWarehouse, PerUserIdentity)
    assert not isinstance(DuckDBWarehouse, PerUserIdentity)


def test_a_new_backend_plugs_in_through_its_capability(
    identity: tuple[IdentityService, int],
) -> None:
    service, user_id = identity
    alice = Actor(user_id, "alice", "editor", "alice@example.com", ("analysts",))
    shared = FlakeOptions(account="acme")
    assert service.resolve(alice, "fl", FlakeWarehouse, shared) is CONNECTION_IDENTITY

    oauth = FlakeOptions(account="acme", identity="oauth")
    with pytest.raises(AuthorizationRequired, match="Connect your Flake account to query fl"):
        service.resolve(alice, "fl", FlakeWarehouse, oauth)
    service.vault.put(user_id, "fl", {"refresh_token": "rt-1"})
    principal = service.resolve(alice, "fl", FlakeWarehouse, oauth)
    assert principal.name == "flake-user:alice@example.com"
    assert principal.key.startswith(f"user:{user_id}:")
    assert principal.credentials is not None
    assert principal.credentials() == {"refresh_token": "rt-1"}
    asked = service.authorization("fl", FlakeWarehouse, oauth)
    assert asked.token_url == "https://acme.flake.example/oauth/token-request"
    assert service.provider(FlakeWarehouse) == "Flake"

    role = FlakeOptions(account="acme", identity="role", roles={"analysts": "ANALYST"})
    acting = service.resolve(alice, "fl", FlakeWarehouse, role)
    assert (acting.key, acting.name) == ("impersonate:ANALYST", "role:ANALYST")
    with pytest.raises(IdentityError, match="does not query as each user"):
        service.authorization("fl", FlakeWarehouse, role)
    with pytest.raises(IdentityError, match="queries Flake as each user"):
        service.resolve(Actor(None, "cli", "admin"), "fl", FlakeWarehouse, role)


def test_authorization_url_carries_pkce_and_the_backends_parameters() -> None:
    verifier = new_secret()
    with client("cid", None, ("a", "b"), "https://bi.example/cb") as session:
        url = authorization_url(
            session, "https://idp.example/auth", "st", verifier, access_type="offline"
        )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and query["code_challenge"] != verifier
    assert (query["state"], query["scope"], query["access_type"]) == ("st", "a b", "offline")
    assert (query["client_id"], query["redirect_uri"]) == ("cid", "https://bi.example/cb")


@pytest.mark.parametrize(
    ("next_page", "expected"),
    [
        (None, "/auth/warehouse/start?connection=bq&next=%2Fsqllab"),
        ("/dashboards/7", "/auth/warehouse/start?connection=bq&next=%2Fdashboards%2F7"),
        ("//evil.example", "/auth/warehouse/start?connection=bq&next=%2Fsqllab"),
        ("https://evil.example", "/auth/warehouse/start?connection=bq&next=%2Fsqllab"),
    ],
)
def test_authorize_url_comes_back_to_the_page(next_page: str | None, expected: str) -> None:
    assert (authorize_url("bq", next_page) if next_page else authorize_url("bq")) == expected
