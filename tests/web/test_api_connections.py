"""Connections through the API: secrets go in, never come out."""

from __future__ import annotations

from belvedere.services import Services
from tests.support.servers.postgres import PostgresServer
from tests.support.web.client import Client


def test_kinds_describe_their_options(client: Client) -> None:
    kinds = {k["kind"]: k for k in client.get("/api/v1/connection-kinds").json()}
    assert set(kinds) == {"bigquery", "duckdb", "postgres"}
    assert kinds["bigquery"]["secret_fields"] == ["oauth_client_secret", "service_account_key"]
    assert kinds["postgres"]["secret_fields"] == ["password"]
    assert client.get("/api/v1/connections/demo").json()["dialect"] == "duckdb"
    assert "database" in kinds["postgres"]["options_schema"]["properties"]


def test_add_test_edit_remove_postgres(
    client: Client, services: Services, postgres: PostgresServer, pg_database: str
) -> None:
    options = {
        "host": postgres.host,
        "port": postgres.port,
        "database": pg_database,
        "user": "postgres",
        "password": "not-needed-but-secret",
    }
    unsaved = client.post("/api/v1/connections/test", json={"kind": "postgres", "options": options})
    assert unsaved.json()["ok"] is True

    created = client.post(
        "/api/v1/connections", json={"name": "pg", "kind": "postgres", "options": options}
    )
    assert created.status_code == 201
    assert "not-needed-but-secret" not in created.text
    assert created.json()["secrets_set"] == ["password"]
    listed = client.get("/api/v1/connections")
    assert "not-needed-but-secret" not in listed.text

    assert client.post("/api/v1/connections/pg/test").json()["ok"] is True
    run = client.post(
        "/api/v1/runs", json={"connection": "pg", "sql": "SELECT current_database() AS db"}
    )
    assert run.status_code == 200
    rows = client.get(f"/api/v1/runs/{run.json()['id']}/results").json()["rows"]
    assert rows == [[pg_database]]

    changed = client.patch(
        "/api/v1/connections/pg", json={"options": {"port": 1}, "timeout_seconds": 9}
    )
    assert changed.json()["options"]["port"] == 1
    assert changed.json()["timeout_seconds"] == 9
    assert changed.json()["secrets_set"] == ["password"]
    # Testing the edited form before saving: the stored password fills the blank one.
    edited = {**options, "password": None}
    retest = client.post(
        "/api/v1/connections/test", json={"kind": "postgres", "options": edited, "name": "pg"}
    )
    assert retest.json()["ok"] is True
    failing = client.post("/api/v1/connections/pg/test").json()
    assert failing["ok"] is False
    assert "cannot reach" in failing["message"].lower() or "connect" in failing["message"].lower()

    assert client.delete("/api/v1/connections/pg").status_code == 204
    assert client.get("/api/v1/connections/pg").status_code == 404
    assert "not-needed-but-secret" not in (
        services.settings.data_dir / "belvedere.db"
    ).read_bytes().decode("latin-1")
