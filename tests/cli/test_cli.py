"""The command line: query, connections, users, doctor, version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from belvedere import __version__
from belvedere.cli.main import cli
from belvedere.cluster.liveness import Heartbeat
from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.servers.redis import RedisServer


@pytest.fixture
def env(tmp_path: Path, demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A data directory with the demo registered, as `belvedere serve` leaves it."""
    data = tmp_path / "data"
    monkeypatch.setenv("BELVEDERE_DATA_DIR", str(data))
    monkeypatch.setenv("BELVEDERE_DEMO", "false")
    monkeypatch.setenv("BELVEDERE_LOG_LEVEL", "warning")
    services = Services(Settings())
    services.connections.add("demo", "duckdb", {"path": str(demo_path), "read_only": True})
    services.close()
    return {"BELVEDERE_DATA_DIR": str(data)}


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    assert invoke("version") == (0, f"{__version__}\n", "")


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "belvedere", "version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == __version__


def test_query_prints_a_readable_table(env: dict[str, str]) -> None:
    code, out, err = invoke(
        "query",
        "-c",
        "demo",
        "SELECT region, count(*) AS customers FROM customers GROUP BY 1 ORDER BY 2 DESC",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["region", "|", "customers"]
    assert lines[1].split() == ["VARCHAR", "|", "BIGINT"]
    assert lines[3].startswith("North America")
    assert lines[3].endswith("21059")
    assert "4 rows" in err


def test_query_csv_and_json(env: dict[str, str]) -> None:
    code, out, _ = invoke(
        "query",
        "-c",
        "demo",
        "--format",
        "csv",
        "SELECT region_id, country FROM regions ORDER BY 1 LIMIT 2",
    )
    assert (code, out) == (0, '"region_id","country"\n1,"United States"\n2,"Canada"\n')
    code, out, _ = invoke(
        "query",
        "-c",
        "demo",
        "--format",
        "json",
        "SELECT region_id FROM regions ORDER BY 1 LIMIT 2",
    )
    assert json.loads(out) == [{"region_id": 1}, {"region_id": 2}]


def test_query_reads_sql_from_stdin(env: dict[str, str]) -> None:
    code, out, _ = invoke("query", "-c", "demo", "--format", "csv", "-", input="SELECT 7 AS seven")
    assert (code, out) == (0, '"seven"\n7\n')


def test_query_errors_are_clear(env: dict[str, str]) -> None:
    code, _, err = invoke("query", "-c", "demo", "SELECT * FORM orders")
    assert code == 1
    assert "failed: Parser Error: syntax error" in err
    assert "line 1, column" in err
    code, _, err = invoke("query", "-c", "nope", "SELECT 1")
    assert code == 1
    assert "no connection named 'nope'" in err
    code, _, err = invoke(
        "query",
        "-c",
        "demo",
        "--timeout",
        "0.3",
        "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
    )
    assert code == 1
    assert "timed_out" in err


def test_connections_add_list_test_remove(env: dict[str, str], tmp_path: Path) -> None:
    code, out, _ = invoke(
        "connections",
        "add",
        "scratch",
        "--kind",
        "duckdb",
        "-o",
        f"path={tmp_path / 'scratch.duckdb'}",
        "-o",
        "read_only=false",
    )
    assert code == 0
    assert "Added connection 'scratch'" in out
    assert "scratch: OK" in out
    code, out, _ = invoke("connections", "list")
    assert [line.split("\t")[0] for line in out.splitlines()] == ["demo", "scratch"]
    assert invoke("connections", "test", "demo")[1].startswith("demo: OK")
    code, out, _ = invoke("connections", "remove", "scratch", "--yes")
    assert code == 0
    code, _, err = invoke("connections", "test", "scratch")
    assert code == 1
    assert "no connection named 'scratch'" in err


def test_connection_secret_is_prompted_and_never_listed(env: dict[str, str]) -> None:
    code, out, _ = invoke(
        "connections",
        "add",
        "pg",
        "--kind",
        "postgres",
        "-o",
        "host=127.0.0.1",
        "-o",
        "port=1",
        "-o",
        "database=x",
        "-o",
        "user=u",
        "--secret",
        "password",
        "--no-test",
        input="s3cret-value\n",
    )
    assert code == 0
    code, out, _ = invoke("connections", "list", "--json")
    assert "s3cret-value" not in out
    assert json.loads(out)[1]["secrets_set"] == ["password"]
    code, _, err = invoke("connections", "test", "pg")
    assert code == 1
    assert "cannot reach PostgreSQL" in err


def test_users_add_and_list(env: dict[str, str]) -> None:
    code, out, _ = invoke(
        "users", "add", "carol", "--role", "editor", "--password", "carol-password"
    )
    assert (code, out) == (0, "Created editor 'carol'.\n")
    code, _, err = invoke("users", "add", "carol", "--password", "carol-password")
    assert code == 1
    assert "already exists" in err
    assert invoke("users", "list")[1] == "carol\teditor\n"


def test_doctor_reports_the_environment(env: dict[str, str]) -> None:
    code, out, _ = invoke("doctor", "--connections")
    assert "monkey-patching: none" in out
    assert "server model: uvicorn on asyncio, 1 process(es)" in out
    assert "metadata store" in out
    assert "connection demo: Connected." in out
    assert code == 0, out
    assert "broker: none: queries run in the server processes" in out
    assert "OK    results store: " in out


def test_doctor_fails_clearly_when_the_broker_is_down(
    env: dict[str, str], redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BELVEDERE_BROKER_URL", redis.url())
    redis.stop()
    code, out, _ = invoke("doctor")
    assert f"FAIL  broker: {redis.url()} unreachable: " in out
    assert code == 1


def test_doctor_lists_the_workers_alive_and_the_queues_none_takes(
    env: dict[str, str], redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BELVEDERE_BROKER_URL", redis.url())
    client = redis.client()
    client.rpush("belvedere.embedded", "waiting")
    code, out, _ = invoke("doctor")
    assert "messages waiting: embedded 1, remote 0" in out
    assert "WARN  workers: none alive" in out
    Heartbeat(
        client,
        "host-a:101",
        pool="prefork",
        concurrency=4,
        queues=("belvedere.remote",),
        active=lambda: 2,
    ).beat()
    code, out, _ = invoke("doctor")
    assert (
        "OK    worker host-a:101: pool prefork, concurrency 4, queues remote, 2 running, last beat "
        in out
    )
    assert "WARN  queue embedded: no worker takes it: its runs wait (1 waiting)" in out
    assert "queue remote" not in out
    assert code == 0, out


def test_doctor_checks_the_results_store(
    env: dict[str, str], redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-results"
    monkeypatch.setenv("BELVEDERE_RESULTS_URL", shared.as_uri())
    code, out, _ = invoke("doctor")
    assert f"OK    results store: {shared.as_uri()} (0 B of " in out
    assert "; local filesystem, writable" in out
    assert list(shared.iterdir()) == []  # the probe is gone
    monkeypatch.setenv("BELVEDERE_RESULTS_URL", "memory://belvedere/results")
    assert "; memory filesystem, writable" in invoke("doctor")[1]
    monkeypatch.setenv("BELVEDERE_RESULTS_URL", redis.url(2))
    out = invoke("doctor")[1]
    assert f"OK    results store: {redis.url(2)} (0 B of " in out
    assert "answers PING" in out
    redis.stop()
    code, out, _ = invoke("doctor")
    assert f"FAIL  results store: {redis.url(2)} unreachable: " in out
    assert code == 1


def test_settings_prints_the_table() -> None:
    code, out, _ = invoke("settings")
    assert code == 0
    assert "| `BELVEDERE_PORT` | int | `8321` |" in out


def test_users_set_password(env: dict[str, str]) -> None:
    invoke("users", "add", "dan", "--password", "dan-password")
    code, out, _ = invoke("users", "set-password", "dan", "--password", "dan-password-2")
    assert (code, out) == (0, "Password of 'dan' changed.\n")
    services = Services(Settings())
    try:
        assert services.users.authenticate("dan", "dan-password-2") is not None
        assert services.users.authenticate("dan", "dan-password") is None
    finally:
        services.close()
    code, _, err = invoke("users", "set-password", "nobody", "--password", "whatever-1")
    assert code == 1
    assert "no user named 'nobody'" in err
