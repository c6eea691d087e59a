"""BigQuery credentials: a service-account key is encrypted at rest, never returned or logged,
and really used; Application Default Credentials too; clear messages when they are missing."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from belvedere.services import Services
from tests.support.faults import HttpProxy
from tests.support.google import GoogleService as TokenService
from tests.support.google import google_service as token_service
from tests.support.google import service_account_key
from tests.support.web.client import Client


@pytest.fixture
def tokens() -> Iterator[TokenService]:
    with token_service() as service:
        yield service


def test_service_account_key_is_used_and_never_shown(
    bq_api: Client,
    bq_services: Services,
    bq_options: dict[str, Any],
    bq_http_proxy: HttpProxy,
    tokens: TokenService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = service_account_key(tokens.token_uri)
    private_key = json.loads(key)["private_key"]
    secret_line = private_key.splitlines()[1]
    options = {**bq_options, "auth": "service_account_key", "service_account_key": key}
    created = bq_api.post(
        "/api/v1/connections", json={"name": "keyed", "kind": "bigquery", "options": options}
    )
    assert created.status_code == 201, created.text
    assert created.json()["secrets_set"] == ["service_account_key"]

    run = bq_api.post("/api/v1/runs", json={"connection": "keyed", "sql": "SELECT 1 AS one"}).json()
    assert run["status"] == "succeeded"
    [granted] = tokens.tokens()
    sent = {r.headers.get("authorization") for r in bq_http_proxy.requests}
    assert sent == {f"Bearer {granted}"}  # every request carried the key's access token

    seen = [
        bq_api.get("/api/v1/connections").text,
        bq_api.get("/api/v1/connections/keyed").text,
        bq_api.get("/api/v1/openapi.json").text,
        caplog.text,
    ]
    for text in seen:
        assert secret_line not in text
    stored = (bq_services.settings.data_dir / "belvedere.db").read_bytes()
    assert secret_line.encode() not in stored


def test_application_default_credentials(
    bq_api: Client,
    bq_options: dict[str, Any],
    bq_http_proxy: HttpProxy,
    tokens: TokenService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key_file = tmp_path / "adc.json"
    key_file.write_text(service_account_key(tokens.token_uri))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    options = {**bq_options, "auth": "application_default"}
    bq_api.post("/api/v1/connections", json={"name": "adc", "kind": "bigquery", "options": options})
    run = bq_api.post("/api/v1/runs", json={"connection": "adc", "sql": "SELECT 1 AS one"}).json()
    assert run["status"] == "succeeded"
    assert {r.headers.get("authorization") for r in bq_http_proxy.requests} == {
        f"Bearer {tokens.tokens()[0]}"
    }


def test_missing_application_default_credentials_say_what_to_do(
    bq_api: Client, bq_options: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))  # no gcloud credentials either
    options = {**bq_options, "auth": "application_default"}
    bq_api.post(
        "/api/v1/connections", json={"name": "noadc", "kind": "bigquery", "options": options}
    )
    tested = bq_api.post("/api/v1/connections/noadc/test").json()
    assert tested["ok"] is False
    assert "No Application Default Credentials" in tested["message"]
    response = bq_api.post("/api/v1/runs", json={"connection": "noadc", "sql": "SELECT 1"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "access_denied"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("not json at all", "not JSON"),
        ('{"type": "authorized_user"}', "not a service-account key"),
        ('{"type": "service_account", "client_email": "x"}', "lacks private_key, token_uri"),
    ],
)
def test_bad_keys_are_refused_without_echoing_them(
    bq_api: Client, bq_options: dict[str, Any], key: str, message: str
) -> None:
    options = {**bq_options, "auth": "service_account_key", "service_account_key": key}
    response = bq_api.post(
        "/api/v1/connections", json={"name": "bad", "kind": "bigquery", "options": options}
    )
    assert response.status_code == 400
    text = response.json()["error"]["message"]
    assert message in text
    assert key not in text
    assert bq_api.get("/api/v1/connections/bad").status_code == 404
