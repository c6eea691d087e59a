"""One person cannot hold the embedded engine's threads: their runs take at most half of them,
so another person's query starts at once, however many long queries the first one sent."""

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
    yield from demo_services(make_settings(embedded_query_threads=2), demo_path)


def _run(client: Client, sql: str, wait_ms: int) -> Any:
    body = {"connection": "demo", "sql": sql, "wait_ms": wait_ms}
    return client.post("/api/v1/runs", json=body).json()


def test_one_editors_long_queries_leave_a_thread_for_everyone_else(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    hog = app_client().login(make_user("hog", Role.EDITOR))
    other = app_client().login(make_user("other", Role.EDITOR))
    long_runs = [_run(hog, FOREVER, 0) for _ in range(4)]
    try:
        quick = _run(other, "SELECT x FROM (VALUES (1), (2), (3)) t(x) ORDER BY x", 20_000)
        assert quick["status"] == "succeeded", quick
        assert quick["result"]["rows"] == [[1], [2], [3]]
        statuses = [hog.get(f"/api/v1/runs/{r['id']}").json()["status"] for r in long_runs]
        assert statuses.count("running") == 1, statuses  # the hog's share: one of two threads
    finally:
        for run in long_runs:
            hog.post(f"/api/v1/runs/{run['id']}/cancel")
