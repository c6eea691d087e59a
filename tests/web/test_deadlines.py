"""A request may only shorten the connection's deadline, never lengthen it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support.web.client import Client

FOREVER = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"


def _deadline(run: dict[str, Any]) -> float:
    start, end = (datetime.fromisoformat(run[k]) for k in ("submitted_at", "deadline_at"))
    return (end - start).total_seconds()


def test_a_longer_deadline_is_cut_to_the_connections(client: Client) -> None:
    assert client.patch("/api/v1/connections/demo", json={"timeout_seconds": 0.3}).is_success
    body = {"connection": "demo", "sql": FOREVER, "timeout_seconds": 20, "wait_ms": 10000}
    run = client.post("/api/v1/runs", json=body).json()
    assert run["status"] == "timed_out", run
    assert "0.3 s deadline" in run["error"]["message"]
    assert _deadline(run) == 0.3


def test_a_saved_query_run_is_cut_too(client: Client) -> None:
    client.patch("/api/v1/connections/demo", json={"timeout_seconds": 0.3})
    saved = client.post(
        "/api/v1/saved-queries", json={"connection": "demo", "name": "slow", "sql": FOREVER}
    ).json()
    run = client.post(
        f"/api/v1/saved-queries/{saved['id']}/run", json={"timeout_seconds": 20, "wait_ms": 10000}
    ).json()
    assert (run["status"], _deadline(run)) == ("timed_out", 0.3)


def test_a_shorter_deadline_holds(client: Client) -> None:
    client.patch("/api/v1/connections/demo", json={"timeout_seconds": 5})
    body = {"connection": "demo", "sql": "SELECT 1", "timeout_seconds": 2}
    assert _deadline(client.post("/api/v1/runs", json=body).json()) == 2


def test_without_a_connection_deadline_the_servers_default_is_the_ceiling(client: Client) -> None:
    body = {"connection": "demo", "sql": "SELECT 1", "timeout_seconds": 86400}
    assert _deadline(client.post("/api/v1/runs", json=body).json()) == 300  # the default
