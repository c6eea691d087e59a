"""Two web servers and a worker as separate processes: a run submitted on one server is read
from the other."""

from __future__ import annotations

import pytest

from tests.support.servers.cluster import ADMIN_PASSWORD, Cluster
from tests.support.web.client import signed_in

pytestmark = pytest.mark.postgres


@pytest.mark.timeout(180)
def test_run_on_a_worker_is_read_from_the_other_server(platform: Cluster) -> None:
    a = platform.web("web-a")
    b = platform.web("web-b")
    platform.worker("worker-1")
    assert a.url and b.url
    on_a = signed_in(a.url, "admin", ADMIN_PASSWORD)
    on_b = signed_in(b.url, "admin", ADMIN_PASSWORD)
    body = {"connection": "demo", "sql": "SELECT 42 AS answer", "wait_ms": 20_000}
    run = on_a.post("/api/v1/runs", json=body).json()
    assert run["status"] == "succeeded", run
    seen = on_b.get(f"/api/v1/runs/{run['id']}/results").json()
    assert seen["rows"] == [[42]], seen
