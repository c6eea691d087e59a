"""Per-user identity holds when queries run on a worker process: alice and bob, through the
same worker, each see their own rows (BigQuery's row access policies, through service
accounts impersonated per user, as tests/identity/test_impersonation.py does in-process)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.identity.helpers import SALES_SQL
from tests.support.bigquery.secure import SecureSales
from tests.support.faults import HttpProxy
from tests.support.google import GoogleService, service_account_key
from tests.support.identity import GrpcIdentityProxy
from tests.support.servers.cluster import ADMIN_PASSWORD, Cluster
from tests.support.web.client import signed_in

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery, pytest.mark.timeout(240)]

BELVEDERE_SA = "belvedere@test-project.iam.gserviceaccount.com"
PASSWORD = "a-password-of-theirs"


def run(client: httpx.Client) -> dict[str, Any]:
    response = client.post(
        "/api/v1/runs", json={"connection": "bq", "sql": SALES_SQL, "wait_ms": 25_000}
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_alice_and_bob_see_their_own_rows_through_one_worker(
    platform: Cluster,
    google: GoogleService,
    identity_rest_proxy: HttpProxy,
    identity_grpc_proxy: GrpcIdentityProxy,
    secure_sales: SecureSales,
) -> None:
    platform.settings.update(  # what the in-process app gets, on every host
        BELVEDERE_GOOGLE_OAUTH_AUTHORIZE_URL=google.auth_uri,
        BELVEDERE_GOOGLE_OAUTH_TOKEN_URL=google.token_uri,
        BELVEDERE_GOOGLE_IAM_CREDENTIALS_URL=google.iam_credentials_url,
    )
    a, b = platform.webs("web-a", "web-b")
    worker = platform.worker("worker-1", "--queues", "remote", "--concurrency", "1")
    assert a.url and b.url
    on_a = signed_in(a.url, "admin", ADMIN_PASSWORD)
    options = {
        "project": secure_sales.project,
        "auth": "service_account_key",
        "service_account_key": service_account_key(google.token_uri, email=BELVEDERE_SA),
        "identity": "impersonation",
        "impersonation_template": "bq-{user}@{project}.iam.gserviceaccount.com",
        "impersonation_domains": ["example.com"],
        "api_endpoint": identity_rest_proxy.url,
        "storage_api_endpoint": identity_grpc_proxy.target,
        "storage_api_insecure": True,
    }
    added = on_a.post(
        "/api/v1/connections", json={"name": "bq", "kind": "bigquery", "options": options}
    )
    assert added.status_code == 201, added.text
    for name in ("alice", "bob"):
        user = {"username": name, "password": PASSWORD, "role": "editor"}
        made = on_a.post("/api/v1/users", json={**user, "email": f"{name}@example.com"})
        assert made.status_code == 201, made.text

    alice_run = run(signed_in(a.url, "alice", PASSWORD))
    bob_run = run(signed_in(b.url, "bob", PASSWORD))

    assert alice_run["status"] == "succeeded", alice_run
    assert alice_run["result"]["rows"] == [["north", 10], ["north", 20], ["north", 40]]
    assert bob_run["status"] == "succeeded", bob_run
    assert bob_run["result"]["rows"] == [["south", 30], ["south", 50]]
    assert alice_run["principal"] == "serviceAccount:bq-alice@test-project.iam.gserviceaccount.com"
    assert bob_run["principal"] == "serviceAccount:bq-bob@test-project.iam.gserviceaccount.com"
    minted = {(i.caller, i.target, i.status) for i in google.impersonations}
    assert minted == {
        (f"serviceAccount:{BELVEDERE_SA}", "bq-alice@test-project.iam.gserviceaccount.com", 200),
        (f"serviceAccount:{BELVEDERE_SA}", "bq-bob@test-project.iam.gserviceaccount.com", 200),
    }
    # Both ran on the worker (the web servers only queue runs when a broker is set).
    assert worker.output().count("Task belvedere.execute_run[") >= 2
    assert worker.output().count("] received") == 2
