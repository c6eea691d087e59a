"""Shared fixtures: settings in a temporary data directory, the demo warehouse (generated once),
services, an in-process HTTP client, and a real PostgreSQL server."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from belvedere.auth.roles import Role
from belvedere.demo.generate import generate_demo
from belvedere.services import DEMO_CONNECTION, Services
from belvedere.settings import Settings
from belvedere.web.app import create_app
from tests.support.bqemulator import Emulator, restart, running_emulator
from tests.support.bqseed import SecureSales, Seeded, expected, is_seeded, seed
from tests.support.faultproxy import HttpProxy
from tests.support.postgres import PostgresServer, postgres_server

if TYPE_CHECKING:
    from tests.support.google import GoogleService
    from tests.support.identity import GrpcIdentityProxy
    from tests.support.oidc import OidcProvider

os.environ["NO_GCE_CHECK"] = "true"
for name in list(os.environ):  # the tests' own BELVEDERE_TEST_* overrides stay
    if name.startswith("BELVEDERE_") and not name.startswith("BELVEDERE_TEST_"):
        del os.environ[name]

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse, generated once per test session (read-only for tests)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate_demo(path)
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server on loopback for the whole session."""
    override = os.environ.get("BELVEDERE_TEST_POSTGRES")  # host:port of a server to reuse
    if override:
        host, port = override.split(":")
        yield PostgresServer(host, int(port))
        return
    with postgres_server(Path(tempfile.mkdtemp(prefix="belvedere-pg-"))) as server:
        yield server


# -- the BigQuery emulator (tests/bigquery, and the browser tests on BigQuery) ------------------


@pytest.fixture(scope="session")
def _bq_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with running_emulator(tmp_path_factory.mktemp("bqemulator")) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def bq_seed(_bq_process: Emulator) -> Seeded:
    """What the emulator holds (see tests/support/bqseed.py); ``seconds``: how long seeding took."""
    if _bq_process.pid is None and is_seeded(_bq_process):  # given, and seeded before
        return expected(_bq_process.project)
    return seed(_bq_process)


@pytest.fixture(scope="session")
def bq_emulator(_bq_process: Emulator, bq_seed: Seeded) -> Emulator:
    """The emulator, started and seeded once per session. Talk to it through the proxies
    (``bq_options``, ``bq_through_proxies``) unless a test means to bypass them."""
    return _bq_process


@pytest.fixture(scope="session")
def bq_restart(bq_emulator: Emulator) -> Callable[[], Seeded]:
    """Call it to replace the emulator with a fresh, seeded one on the same ports (the proxies
    and clients keep working): it keeps every query result in memory until it exits, so heavy
    modules call this first, e.g. from a module-scoped autouse fixture. ~7 s."""

    def fresh() -> Seeded:
        restart(bq_emulator)
        return seed(bq_emulator)

    return fresh


# -- per-user identity on BigQuery: Google's stand-in, an OIDC provider, identity proxies -------
# (tests/support/google.py, oidc.py, identity.py; tests/identity/test_testbed.py shows their use)


@pytest.fixture(scope="session")
def _google_service() -> Iterator[GoogleService]:
    from tests.support.google import google_service

    with google_service() as service:
        yield service


@pytest.fixture
def google(_google_service: GoogleService) -> Iterator[GoogleService]:
    """The Google stand-in (OAuth2 authorization and token endpoints, IAM Credentials
    generateAccessToken, OIDC discovery), fresh for each test: no tokens, codes, recordings,
    groups, refusals or settings from earlier tests. An error inside it fails the test."""
    _google_service.reset()
    yield _google_service
    if _google_service.errors:
        pytest.fail(f"errors inside the Google stand-in: {_google_service.errors!r}")


@pytest.fixture(scope="session")
def _oidc_server() -> Iterator[OidcProvider]:
    from tests.support.oidc import oidc_provider

    with oidc_provider() as provider:
        yield provider


@pytest.fixture
def oidc_provider(_oidc_server: OidcProvider) -> OidcProvider:
    """An OpenID Connect provider (oidc-provider-mock) with users alice, bob (groups
    ``["analysts"]``) and carol (``["bi-admins"]``), emails ``<sub>@example.com``; their claims
    restored and tokens revoked before each test. ``.issuer`` is its URL. No PKCE checks."""
    _oidc_server.reset()
    return _oidc_server


@pytest.fixture(scope="session")
def _identity_rest_proxy(
    _bq_process: Emulator, _google_service: GoogleService
) -> Iterator[HttpProxy]:
    from tests.support.identity import identity_rest_proxy

    with identity_rest_proxy(_bq_process.rest_url, _google_service) as proxy:
        yield proxy


@pytest.fixture
def identity_rest_proxy(
    _identity_rest_proxy: HttpProxy, google: GoogleService, bq_emulator: Emulator
) -> Iterator[HttpProxy]:
    """A proxy in front of the emulator's REST API that forwards each request as the caller
    (``X-Bqemu-Caller``, ``X-Bqemu-Groups``) its bearer token belongs to, per ``google``;
    401/403 in BigQuery's shape for a missing, unknown, expired or unscoped token. An
    :class:`HttpProxy`: recordings (``sent_headers``) and faults, reset around each test."""
    proxy = _identity_rest_proxy
    proxy.reset()
    proxy.clear()
    proxy.errors.clear()
    yield proxy
    proxy.reset()
    if proxy.errors:
        pytest.fail(f"errors inside the identity REST proxy: {proxy.errors!r}")


@pytest.fixture(scope="session")
def _identity_grpc_proxy(
    _bq_process: Emulator, _google_service: GoogleService
) -> Iterator[GrpcIdentityProxy]:
    from tests.support.identity import GrpcIdentityProxy

    with GrpcIdentityProxy(_bq_process.grpc_target, _google_service) as proxy:
        yield proxy


@pytest.fixture
def identity_grpc_proxy(
    _identity_grpc_proxy: GrpcIdentityProxy, google: GoogleService, bq_emulator: Emulator
) -> Iterator[GrpcIdentityProxy]:
    """A gRPC proxy in front of the emulator's Storage APIs that forwards each call as the
    caller (``x-bqemu-caller``) its ``authorization: Bearer`` metadata belongs to;
    ``UNAUTHENTICATED`` otherwise. ``.target`` is ``127.0.0.1:PORT`` (plaintext); ``.calls``
    records each call, cleared before each test."""
    proxy = _identity_grpc_proxy
    proxy.clear()
    proxy.errors.clear()
    yield proxy
    if proxy.errors:
        pytest.fail(f"errors inside the identity gRPC proxy: {proxy.errors!r}")


@pytest.fixture
def secure_sales(bq_emulator: Emulator) -> SecureSales:
    """Dataset ``secure``, table ``sales`` under ROW ACCESS POLICIES (alice and bq-alice: north;
    bob and bq-bob: south; group bi-admins: all), made once (checked again, quickly, each time:
    ``bq_restart`` empties the emulator). See tests/support/bqseed.py."""
    from tests.support.bqseed import seed_secure_sales

    return seed_secure_sales(bq_emulator)


@pytest.fixture
def pg_database(postgres: PostgresServer) -> str:
    """A fresh, empty database; returns its name."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres.create_database(name)
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A metadata store URL: SQLite in the data directory, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.url(request.getfixturevalue("pg_database"))


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings in a temporary data directory, with overrides."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "admin_password": PASSWORD,
            "demo": False,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def services(make_settings: Callable[..., Settings], demo_path: Path) -> Iterator[Services]:
    """Services with an admin account and the shared demo warehouse as connection ``demo``."""
    yield from demo_services(make_settings(), demo_path)


def demo_services(settings: Settings, demo_path: Path) -> Iterator[Services]:
    """The ``services`` fixture's body, for modules that override it with other settings."""
    svc = Services(settings)
    svc.first_start()
    svc.connections.add(DEMO_CONNECTION, "duckdb", {"path": str(demo_path), "read_only": True})
    yield svc
    svc.close()


class Client(TestClient):
    """An in-process HTTP client that signs in and sends the CSRF token like the browser."""

    def login(self, username: str = "admin", password: str = PASSWORD) -> Client:
        self.get("/api/v1/auth/csrf")
        response = self.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return self

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        token = self.cookies.get("belvedere_csrf")
        if token and method.upper() not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("x-csrf-token", token)
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)


@pytest.fixture
def app_client(services: Services) -> Iterator[Callable[[], Client]]:
    """Makes clients of one app; each has its own cookies (one per user)."""
    app = create_app(services)
    clients: list[Client] = []

    def make() -> Client:
        client = Client(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(app_client: Callable[[], Client]) -> Client:
    """A client signed in as the admin."""
    return app_client().login()


@pytest.fixture
def make_user(services: Services) -> Callable[[str, Role], str]:
    """Create a user with the test password; returns the username."""

    def make(username: str, role: Role) -> str:
        services.users.create(username, role, PASSWORD)
        return username

    return make


def pytest_configure(config: pytest.Config) -> None:
    # oidc-provider-mock (tests/support/oidc.py) uses authlib APIs that authlib deprecates.
    config.addinivalue_line("filterwarnings", "ignore:get_jwt_config:DeprecationWarning")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: Playwright's sync API keeps an event loop running on the
    main thread from its first use to the end of the session, which other tests' own event
    loops cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
