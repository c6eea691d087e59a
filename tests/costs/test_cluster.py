"""On a cluster (web servers and Celery workers as processes, on PostgreSQL and Redis), the
workers hold queries to the same budgets, and concurrent reservations take turns across
processes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from belvedere.costs.model import Scope
from belvedere.store.costs import CostStore
from belvedere.store.db import Database
from tests.costs.bq import GB, dry_runs_say, jobs_bill, queries_run
from tests.support.faults import HttpProxy
from tests.support.servers.cluster import ADMIN_PASSWORD, Cluster
from tests.support.web.client import signed_in

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

RACERS = 8
PASSWORD = "analyst-password"


def test_workers_hold_concurrent_queries_to_a_pooled_budget(
    platform: Cluster, bq_options: dict[str, Any], bq_http_proxy: HttpProxy
) -> None:
    [a, b], _ = platform.hosts(("web-a", "web-b"), {"worker-1": (), "worker-2": ()})
    assert a.url and b.url
    admin = signed_in(a.url, "admin", ADMIN_PASSWORD)
    added = admin.post(
        "/api/v1/connections", json={"name": "bq", "kind": "bigquery", "options": bq_options}
    )
    assert added.status_code == 201, added.text
    for name in ("ann", "bob"):
        made = admin.post(
            "/api/v1/users", json={"username": name, "password": PASSWORD, "role": "editor"}
        )
        assert made.status_code == 201, made.text
    db = Database(platform.database_url)
    try:
        CostStore(db).set_rule(
            "bq",
            Scope.ROLE,
            "editor",
            max_bytes_per_query=None,
            daily_bytes=10 * GB,
            monthly_bytes=None,
            actor_id=None,
        )
    finally:
        db.dispose()
    dry_runs_say(bq_http_proxy, 4 * GB)
    jobs_bill(bq_http_proxy, 4 * GB)
    bq_http_proxy.delay(1.0, when=lambda r: r.kind == "jobs.query")
    racers = [(a.url, "ann"), (b.url, "bob")] * (RACERS // 2)
    clients = [signed_in(url, name, PASSWORD) for url, name in racers]

    def run(index: int) -> tuple[str, str]:
        body = {"connection": "bq", "sql": f"SELECT {index}", "wait_ms": 20_000}
        found = clients[index].post("/api/v1/runs", json=body).json()
        return racers[index][1], str(found.get("status") or found["error"]["code"])

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(run, range(RACERS)))
    # Each has a budget of their own (the role's): two 4 GB queries each fit in 10 GB.
    for name in ("ann", "bob"):
        theirs = sorted(outcome for who, outcome in outcomes if who == name)
        assert theirs == ["budget_exceeded"] * (RACERS // 2 - 2) + ["succeeded"] * 2, outcomes
    assert len(queries_run(bq_http_proxy)) == 4
