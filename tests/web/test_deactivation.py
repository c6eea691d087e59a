"""Deactivating a user stops their runs in flight: the run ends `cancelled` at once and the
warehouse query is interrupted, freeing its thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.fixtures.app import demo_services
from tests.support.web.client import Client

FOREVER = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"


@pytest.fixture
def services(make_settings: Callable[..., Settings], demo_path: Path) -> Iterator[Services]:
    """One embedded query thread: a run left running would hold up every other."""
    yield from demo_services(make_settings(embedded_query_threads=1), demo_path)


def _run(client: Client, sql: str, wait_ms: int) -> Any:
    response = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": sql, "wait_ms": wait_ms}
    )
    return response.json()


def test_deactivating_a_user_stops_their_runs_in_flight(
    app_client: Callable[[], Client],
    client: Client,
    make_user: Callable[[str, Role], str],
    services: Services,
) -> None:
    user = app_client().login(make_user("leaver", Role.EDITOR))
    user_id = user.get("/api/v1/auth/me").json()["user"]["id"]
    started = _run(user, FOREVER, 0)
    assert started["status"] in ("queued", "running")

    assert client.patch(f"/api/v1/users/{user_id}", json={"is_active": False}).status_code == 200

    audit = client.get("/api/v1/audit", params={"user": "leaver"}).json()["entries"]
    assert [(e["status"], e["error_message"]) for e in audit] == [
        ("cancelled", "Cancelled: the account was deactivated.")
    ]
    # The one query thread is free again: DuckDB was interrupted, not left running.
    after = _run(client, "SELECT 1 AS one", 20_000)
    assert after["status"] == "succeeded", after
