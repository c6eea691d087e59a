"""Command-line runs are audited with the operating-system account that ran them, also when
they run as a Belvedere user (``belvedere query --as bob``); the account comes from the
process's user id, not from environment variables the caller sets."""

from __future__ import annotations

import csv
import io
import os
import pwd
from pathlib import Path

import pytest
from click.testing import CliRunner

from belvedere.auth.roles import Role
from belvedere.cli.main import cli
from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.web.client import PASSWORD, app_clients

ACCOUNT = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def data(tmp_path: Path, demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with the demo and user bob, as `belvedere serve` leaves it."""
    data = tmp_path / "data"
    monkeypatch.setenv("BELVEDERE_DATA_DIR", str(data))
    monkeypatch.setenv("BELVEDERE_DEMO", "false")
    monkeypatch.setenv("BELVEDERE_LOG_LEVEL", "warning")
    monkeypatch.setenv("BELVEDERE_ADMIN_PASSWORD", PASSWORD)
    services = Services(Settings())
    services.first_start()
    services.connections.add("demo", "duckdb", {"path": str(demo_path), "read_only": True})
    services.users.create("bob", Role.EDITOR, PASSWORD)
    services.close()
    return data


def query(*args: str) -> None:
    result = CliRunner().invoke(cli, ["query", "-c", "demo", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_the_os_account_behind_every_command_line_run_is_audited(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever the environment claims, the account is the process's own.
    for variable in ("USER", "LOGNAME", "USERNAME", "LNAME"):
        monkeypatch.setenv(variable, "mallory")
    query("--as", "bob", "SELECT 1 AS bobs")
    query("SELECT 2 AS operators")

    services = Services(Settings())
    with app_clients(services) as make:
        admin = make().login()
        entries = admin.get("/api/v1/audit?surface=cli").json()["entries"]
        by_sql = {e["sql"]: e for e in entries}
        bobs, operators = by_sql["SELECT 1 AS bobs"], by_sql["SELECT 2 AS operators"]
        assert (bobs["user"], bobs["surface"]) == ("bob", "cli")
        assert bobs["os_account"].split(" ")[0] == ACCOUNT
        assert operators["user"].startswith(f"cli:{ACCOUNT}")
        assert operators["os_account"].split(" ")[0] == ACCOUNT
        assert "mallory" not in str(entries)

        # bob's run is his when filtering by user.
        only_bob = admin.get("/api/v1/audit?user=bob").json()["entries"]
        assert [e["sql"] for e in only_bob] == ["SELECT 1 AS bobs"]

        # The CSV export says it too.
        exported = admin.get("/api/v1/audit/export?user=bob")
        assert exported.status_code == 200
        [row] = list(csv.DictReader(io.StringIO(exported.text)))
        assert (row["user"], row["surface"]) == ("bob", "cli")
        assert row["os_account"].split(" ")[0] == ACCOUNT

        # Runs from the web have no OS account.
        web = admin.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT 3"})
        assert web.status_code == 200
        [entry] = admin.get("/api/v1/audit?surface=api").json()["entries"]
        assert (entry["user"], entry["os_account"]) == ("admin", None)

        # And in bob's own history.
        with app_clients(services) as other:
            history = other().login("bob").get("/api/v1/history").json()["runs"]
        assert [r["sql"] for r in history] == ["SELECT 1 AS bobs"]
    services.close()
