"""Identity mapping is unambiguous: a template's {user} only for the connection's domains, one
account per e-mail (from single sign-on only when verified), no mapping by name; options that
cannot work together refused when saved; "Test connection" also tests the per-user path; a
refused impersonation reads as a sentence with an error kind."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.settings import Settings
from belvedere.store.db import Database
from belvedere.store.migrate import alembic_config, upgrade
from tests.identity.helpers import SALES_SQL, belvedere, local, settings_for
from tests.support.faults import HttpProxy
from tests.support.google import GoogleService, service_account_key
from tests.support.identity.oidc import OidcProvider
from tests.support.web.client import PASSWORD, Client, app_clients

BELVEDERE_SA = "belvedere@test-project.iam.gserviceaccount.com"
NOWHERE = "http://127.0.0.1:9"  # never reached: identity is settled before BigQuery is called
TEMPLATE = "bq-{user}@{project}.iam.gserviceaccount.com"


def impersonation(google: GoogleService, **overrides: Any) -> dict[str, Any]:
    return {
        "project": "test-project",
        "auth": "service_account_key",
        "service_account_key": service_account_key(google.token_uri, email=BELVEDERE_SA),
        "identity": "impersonation",
        "impersonation_template": TEMPLATE,
        "impersonation_domains": ["example.com"],
        "api_endpoint": NOWHERE,
        **overrides,
    }


@pytest.fixture
def world(tmp_path: Path, google: GoogleService) -> Iterator[tuple[Services, Callable[[], Client]]]:
    with belvedere(settings_for(tmp_path / "data", google)) as (services, client):
        services.connections.add("bq", "bigquery", impersonation(google))
        yield services, client


def run(client: Client, sql: str = SALES_SQL) -> Any:
    return client.post("/api/v1/runs", json={"connection": "bq", "sql": sql, "wait_ms": 20_000})


def assert_sentence(error: dict[str, Any]) -> None:
    """A message for people: no Python tuple, repr or JSON."""
    message = error["message"]
    assert message[:1].isupper() and message.rstrip().endswith("."), message
    assert not any(mark in message for mark in ("('", '{"', "{\n", "\\n", "Error(")), message


# -- point 12: identity by name collision ------------------------------------------------------


def test_user_of_another_domain_is_refused_not_run_as_the_namesake(
    world: tuple[Services, Callable[[], Client]], google: GoogleService
) -> None:
    services, client = world
    services.users.create("mallory", Role.EDITOR, PASSWORD, email="alice@another-domain.example")
    response = run(client().login("mallory"))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "identity_unavailable"
    assert "another-domain.example" in error["message"]
    assert_sentence(error)
    assert google.impersonations == []  # bq-alice was never even asked for


def test_user_without_email_is_refused_not_mapped_by_name(
    world: tuple[Services, Callable[[], Client]], google: GoogleService
) -> None:
    services, client = world
    services.users.create("dave", Role.EDITOR, PASSWORD)
    response = run(client().login("dave"))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "identity_unavailable"
    assert "no verified e-mail" in error["message"]
    assert_sentence(error)
    assert google.impersonations == []


def test_template_gets_the_whole_email_and_user_mappings_ignore_case(google: GoogleService) -> None:
    from belvedere.identity.principal import IdentityError
    from belvedere.warehouses.bigquery.identity import impersonation_target
    from belvedere.warehouses.bigquery.options import BigQueryOptions

    by_email = BigQueryOptions.model_validate(
        impersonation(google, impersonation_template="{email}", impersonation_domains=[])
    )
    assert impersonation_target(by_email, "Alice@Other.example", (), "bq") == "alice@other.example"
    mapped = BigQueryOptions.model_validate(
        impersonation(google, impersonation_targets={"user:Alice@Example.com": "sa-a@p.iam"})
    )
    assert impersonation_target(mapped, "alice@EXAMPLE.com", (), "bq") == "sa-a@p.iam"
    with pytest.raises(IdentityError, match=r"other\.example"):
        impersonation_target(mapped, "alice@other.example", (), "bq")
    typed = BigQueryOptions.model_validate(
        impersonation(google, impersonation_domains="Example.com, @example.org")
    )  # as the connection form's text field sends it
    assert typed.impersonation_domains == ["example.com", "example.org"]
    assert impersonation_target(typed, "bob@example.org", (), "bq").startswith("bq-bob@")


def test_emails_are_unique_across_accounts_without_regard_to_case(
    world: tuple[Services, Callable[[], Client]],
) -> None:
    _, client = world
    admin = client().login()
    created = admin.post(
        "/api/v1/users",
        json={"username": "alice2", "password": PASSWORD, "email": "ALICE@example.com"},
    )
    assert created.status_code == 400, created.text
    assert created.json()["error"]["code"] == "invalid_user"
    assert "belongs to another account (alice)" in created.json()["error"]["message"]
    bob = next(u for u in admin.get("/api/v1/users").json() if u["username"] == "bob")
    taken = admin.patch(f"/api/v1/users/{bob['id']}", json={"email": "Alice@Example.com"})
    assert taken.status_code == 400, taken.text
    moved = admin.patch(f"/api/v1/users/{bob['id']}", json={"email": "robert@example.com"})
    assert moved.status_code == 200 and moved.json()["email"] == "robert@example.com"


@pytest.fixture
def sso(
    tmp_path: Path, oidc_provider: OidcProvider, google: GoogleService
) -> Iterator[tuple[Services, Callable[[], Client]]]:
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_password=PASSWORD,
        demo=False,
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id="belvedere",
        oidc_client_secret="belvedere-secret",
        google_iam_credentials_url=google.iam_credentials_url,
        oidc_default_role="editor",
    )
    services = Services(settings)
    services.first_start()
    services.connections.add("bq", "bigquery", impersonation(google))
    with app_clients(services) as make:
        client = make()
        yield services, lambda: client


def sign_in(client: Client, provider: OidcProvider, sub: str) -> Any:
    start = client.get("/auth/oidc/start?next=/sqllab", follow_redirects=False)
    assert start.status_code == 303, start.text
    return client.get(
        local(provider.consent(start.headers["location"], sub)), follow_redirects=False
    )


def test_single_sign_on_uses_an_email_only_when_verified(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider, google: GoogleService
) -> None:
    services, client = sso
    oidc_provider.set_claims(
        "eve", {"email": "alice@example.com", "email_verified": False, "name": "Eve"}
    )
    assert sign_in(client(), oidc_provider, "eve").status_code == 303
    eve = next(u for u in services.users.list() if u.oidc_subject == "eve")
    assert eve.email is None
    response = run(client())
    assert response.status_code == 400 and "no verified e-mail" in response.text
    assert google.impersonations == []


def test_single_sign_on_with_an_email_another_account_has_is_refused(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider
) -> None:
    services, client = sso
    services.users.create("alice-local", Role.EDITOR, PASSWORD, email="Alice@example.com")
    refused = sign_in(client(), oidc_provider, "alice")
    assert refused.status_code == 403, refused.text
    assert "already has the e-mail alice@example.com" in refused.text
    assert [u.username for u in services.users.list() if u.oidc_subject] == []


def test_migration_keeps_one_account_per_email_and_records_the_rest(metadata_url: str) -> None:
    db = Database(metadata_url)
    with db.engine.begin() as connection:
        upgrade(connection, "0005")
    rows = [
        (1, "local-alice", "alice@example.com", None),
        (2, "sso-alice", "ALICE@example.com ", "sub-a"),
        (3, "bob", "bob@example.com", None),
        (4, "blank", " ", None),
    ]
    with db.engine.begin() as connection:
        for uid, name, email, subject in rows:
            connection.execute(
                text(
                    "INSERT INTO users (id, username, display_name, role, is_active, created_at,"
                    " email, oidc_subject, groups) VALUES (:id, :u, :u, 'editor', true,"
                    " CURRENT_TIMESTAMP, :e, :s, '[]')"
                ),
                {"id": uid, "u": name, "e": email, "s": subject},
            )
    db.migrate()
    with db.engine.connect() as connection:
        emails = dict(connection.execute(text("SELECT username, email FROM users")).all())
        record = connection.execute(
            text("SELECT value FROM meta WHERE key = 'cleared_duplicate_emails'")
        ).scalar_one()
    # The account whose provider verified the address keeps it; nothing is lost.
    assert emails == {
        "local-alice": None,
        "sso-alice": "ALICE@example.com",
        "bob": "bob@example.com",
        "blank": None,
    }
    assert json.loads(record) == [
        {"user_id": 1, "username": "local-alice", "email": "alice@example.com", "kept_by": 2}
    ]
    with pytest.raises(Exception, match=r"(?i)unique"), db.engine.begin() as connection:
        connection.execute(text("UPDATE users SET email = 'Bob@Example.com' WHERE id = 1"))
    with db.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    with db.engine.connect() as connection:
        restored = connection.execute(text("SELECT email FROM users WHERE id = 1")).scalar()
    assert restored == "alice@example.com"
    db.dispose()


# -- point 13: options that cannot work together ------------------------------------------------


def test_options_that_cannot_work_together_are_refused_when_saved(client: Client) -> None:
    base = {"project": "p", "api_endpoint": NOWHERE, "identity": "impersonation"}
    cases = [
        ({**base, "auth": "none", "impersonation_template": "{email}"}, "auth 'none'"),
        (
            {**base, "auth": "application_default", "impersonation_template": TEMPLATE},
            "impersonation_domains",
        ),
    ]
    for options, words in cases:
        response = client.post(
            "/api/v1/connections", json={"name": "bq", "kind": "bigquery", "options": options}
        )
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "incompatible_options" and words in error["message"]
        assert_sentence(error)
    saved = client.post(
        "/api/v1/connections",
        json={"name": "bq", "kind": "bigquery", "options": {"project": "p", "auth": "none"}},
    )
    assert saved.status_code == 201, saved.text
    changed = client.patch(
        "/api/v1/connections/bq",
        json={"options": {"identity": "impersonation", "impersonation_template": "{email}"}},
    )
    assert changed.status_code == 422 and "auth 'none'" in changed.text
    assert client.get("/api/v1/connections/bq").json()["options"]["identity"] == "service_account"


# -- point 15: a refused impersonation reads as a sentence -------------------------------------


def test_refused_impersonation_reads_as_a_sentence(
    world: tuple[Services, Callable[[], Client]], google: GoogleService
) -> None:
    _, client = world
    google.deny_impersonation("bq-alice@test-project.iam.gserviceaccount.com")
    response = run(client().login("alice"))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "access_denied"
    assert "bq-alice@test-project.iam.gserviceaccount.com" in error["message"]
    assert "iam.serviceAccounts.getAccessToken" in error["message"]
    assert_sentence(error)


# -- point 14: "Test connection" tests the per-user path too -----------------------------------


def test_connection_test_also_tests_as_the_person_testing(
    tmp_path: Path, google: GoogleService, identity_rest_proxy: HttpProxy
) -> None:
    with belvedere(settings_for(tmp_path / "data", google)) as (services, make_client):
        options = impersonation(google, api_endpoint=identity_rest_proxy.url)
        services.connections.add("bq", "bigquery", options)
        admin = make_client().login()
        me = next(u for u in admin.get("/api/v1/users").json() if u["username"] == "admin")

        nobody = admin.post("/api/v1/connections/bq/test").json()
        assert nobody["connection"]["ok"] is True
        assert nobody["ok"] is False and "no verified e-mail" in nobody["as_you"]["message"]

        patched = admin.patch(f"/api/v1/users/{me['id']}", json={"email": "admin@example.com"})
        assert patched.status_code == 200, patched.text
        fine = admin.post("/api/v1/connections/bq/test").json()
        assert fine["ok"] is True, fine
        assert fine["principal"] == "serviceAccount:bq-admin@test-project.iam.gserviceaccount.com"

        google.deny_impersonation("bq-admin@test-project.iam.gserviceaccount.com")
        broken = admin.post("/api/v1/connections/bq/test").json()
        assert broken["connection"]["ok"] is True  # the connection's own account works...
        assert broken["ok"] is False  # ...but querying as the admin does not
        assert "getAccessToken" in broken["as_you"]["message"]
        assert "As you (serviceAccount:bq-admin@" in broken["message"]

        unsaved = admin.post(
            "/api/v1/connections/test",
            json={"kind": "bigquery", "name": "bq", "options": {**options, "auth": "none"}},
        )
        assert unsaved.status_code == 422, unsaved.text
