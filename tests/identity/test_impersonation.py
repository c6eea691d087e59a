"""impersonation: Belvedere's own credentials mint short-lived tokens for a service account per
user (a template) or group (a mapping), through the IAM Credentials API; each user sees what
their service account may see."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from belvedere.services import Services
from tests.identity.helpers import SALES_SQL, belvedere, rows_of, settings_for
from tests.support.bigquery.secure import SecureSales
from tests.support.faults import HttpProxy
from tests.support.google import GoogleService, service_account_key
from tests.support.identity import GrpcIdentityProxy
from tests.support.web.client import Client

BELVEDERE_SA = "belvedere@test-project.iam.gserviceaccount.com"


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
                "auth": "service_account_key",
                "service_account_key": service_account_key(google.token_uri, email=BELVEDERE_SA),
                "identity": "impersonation",
                "impersonation_template": "bq-{user}@{project}.iam.gserviceaccount.com",
                "impersonation_domains": ["example.com"],
                "impersonation_targets": {
                    "group:bi-admins": "bi-admins@test-project.iam.gserviceaccount.com"
                },
                "api_endpoint": identity_rest_proxy.url,
                "storage_api_endpoint": identity_grpc_proxy.target,
                "storage_api_insecure": True,
            },
        )
        yield services, client


def run(client: Client, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/runs", json={"connection": "bq", "wait_ms": 20_000, **body})
    return response.json()


def test_each_user_queries_as_their_service_account(
    world: tuple[Services, Callable[[], Client]],
    google: GoogleService,
    identity_grpc_proxy: GrpcIdentityProxy,
) -> None:
    _, client = world
    alice, bob = client().login("alice"), client().login("bob")
    alice_run, bob_run = run(alice, sql=SALES_SQL), run(bob, sql=SALES_SQL)
    assert rows_of(alice_run) == [["north", 10], ["north", 20], ["north", 40]]
    assert rows_of(bob_run) == [["south", 30], ["south", 50]]
    assert alice_run["principal"] == "serviceAccount:bq-alice@test-project.iam.gserviceaccount.com"
    minted = {(i.caller, i.target, i.status) for i in google.impersonations}
    assert minted == {
        (f"serviceAccount:{BELVEDERE_SA}", "bq-alice@test-project.iam.gserviceaccount.com", 200),
        (f"serviceAccount:{BELVEDERE_SA}", "bq-bob@test-project.iam.gserviceaccount.com", 200),
    }
    # The Storage Read API sees the impersonated identity too.
    table = {"schema": "secure", "name": "sales"}
    assert run(alice, table=table, export=True)["row_count"] == 3
    assert {c.principal for c in identity_grpc_proxy.calls} == {
        "serviceAccount:bq-alice@test-project.iam.gserviceaccount.com"
    }


def test_a_group_maps_to_its_service_account(
    world: tuple[Services, Callable[[], Client]], google: GoogleService
) -> None:
    services, client = world
    carol = services.users.by_username("carol")
    assert carol is not None
    with services.db.session() as s:
        s.get(type(carol), carol.id).groups = ["bi-admins"]  # type: ignore[union-attr]
    google.set_groups(
        "serviceAccount:bi-admins@test-project.iam.gserviceaccount.com", ["bi-admins@example.com"]
    )
    result = run(client().login("carol"), sql=SALES_SQL)
    assert result["principal"] == "serviceAccount:bi-admins@test-project.iam.gserviceaccount.com"
    assert len(rows_of(result)) == 5


def test_a_refused_impersonation_reads_clearly(
    world: tuple[Services, Callable[[], Client]], google: GoogleService
) -> None:
    _, client = world
    google.deny_impersonation("bq-alice@test-project.iam.gserviceaccount.com")
    response = (
        client()
        .login("alice")
        .post("/api/v1/runs", json={"connection": "bq", "sql": SALES_SQL, "wait_ms": 20_000})
    )
    assert response.status_code in (400, 502)
    error = response.json()["error"]
    assert "getAccessToken" in error["message"] or "impersonat" in error["message"].lower()


def test_the_command_line_needs_a_user_and_runs_as_them(
    world: tuple[Services, Callable[[], Client]], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, _ = world
    from click.testing import CliRunner

    from belvedere.cli.main import cli

    monkeypatch.setenv("BELVEDERE_DATA_DIR", str(services.settings.data_dir))
    for name, value in services.settings.model_dump().items():
        if name.startswith(("google_", "oidc_client_id")) and value is not None:
            monkeypatch.setenv(f"BELVEDERE_{name.upper()}", str(value))
    anonymous = CliRunner().invoke(cli, ["query", "-c", "bq", SALES_SQL])
    assert anonymous.exit_code == 1
    assert "queries BigQuery as each user" in anonymous.stderr
    as_bob = CliRunner().invoke(
        cli, ["query", "-c", "bq", "--as", "bob", "--format", "csv", SALES_SQL]
    )
    assert as_bob.exit_code == 0, as_bob.stderr
    assert as_bob.stdout == '"region","amount"\n"south",30\n"south",50\n'
