"""The audit log: admins read every user's runs with filters, export them as CSV, and old
records expire."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.store.models import utcnow
from tests.support.web.client import Client


def test_admin_reads_every_users_runs(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    editor = app_client().login(make_user("ed", Role.EDITOR))
    editor.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT 1 AS one"})
    editor.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT * FORM x"})
    client.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT 2 AS two"})
    log = client.get("/api/v1/audit").json()
    assert [e["user"] for e in log["entries"]] == ["admin", "ed", "ed"]
    latest_ed = log["entries"][1]
    assert (latest_ed["status"], latest_ed["error_code"], latest_ed["principal"]) == (
        "failed",
        "syntax_error",
        "connection",
    )
    assert log["retention_days"] == 365
    only_ed = client.get("/api/v1/audit", params={"user": "ed", "status": "succeeded"}).json()
    assert [e["sql"] for e in only_ed["entries"]] == ["SELECT 1 AS one"]
    assert only_ed["entries"][0]["duration_ms"] >= 0
    by_text = client.get("/api/v1/audit", params={"text": "two"}).json()["entries"]
    assert [e["user"] for e in by_text] == ["admin"]


def test_audit_is_for_admins_only(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    editor = app_client().login(make_user("eve", Role.EDITOR))
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        response = editor.get(path)
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "Your role may not read the audit log."


def test_csv_export(client: Client) -> None:
    client.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT 'a,b' AS tricky"})
    response = client.get("/api/v1/audit/export", params={"user": "admin"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert (rows[0]["user"], rows[0]["connection"], rows[0]["status"], rows[0]["sql"]) == (
        "admin",
        "demo",
        "succeeded",
        "SELECT 'a,b' AS tricky",
    )
    assert rows[0]["rows"] == "1"


def test_retention_deletes_old_records(client: Client, services: Services) -> None:
    client.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT 1"})
    assert services.audit.purge_before(utcnow() - timedelta(days=1)) == 0
    assert services.audit.purge_before(utcnow() + timedelta(seconds=1)) == 1
    assert client.get("/api/v1/audit").json()["entries"] == []
