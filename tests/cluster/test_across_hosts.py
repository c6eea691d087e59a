"""What a user sees when Belvedere runs as several hosts: two web servers (A, B) and workers,
each a separate OS process with a data directory of its own, sharing only PostgreSQL, Redis
and the results store. A run, a cancel, a chart's cache and a sign-out made through one web
server hold on the other; a web server killed mid-wait loses nothing."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pyarrow.parquet as pq
import pytest

from belvedere.cluster.liveness import workers_seen
from tests.support.servers.cluster import ADMIN_PASSWORD, Cluster, Process
from tests.support.web.client import signed_in

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

T = TypeVar("T")
ROWS = 250
PAGED_SQL = f"SELECT range AS n, 'row ' || range AS label FROM range({ROWS}) ORDER BY n"
ENDLESS_SQL = "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b"
SLOW_SQL = "SELECT sum(range) AS s FROM range(600000000)"
"""A few seconds of DuckDB work (count(*) over range() is answered without scanning)."""
SLOW_SUM = 600000000 * (600000000 - 1) // 2
REGIONS = {"type": "table", "source": {"kind": "table", "schema": "main", "table": "regions"}}


def poll(check: Callable[[], T | None], seconds: float, what: str) -> T:
    """``check()``'s first truthy answer, asked until ``seconds`` have passed."""
    until = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > until:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.02)


def admin(web: Process) -> httpx.Client:
    assert web.url
    return signed_in(web.url, "admin", ADMIN_PASSWORD)


def submit(client: httpx.Client, sql: str, wait_ms: int = 20_000) -> dict[str, Any]:
    response = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": sql, "wait_ms": wait_ms}
    )
    assert response.status_code in (200, 202), response.text
    run: dict[str, Any] = response.json()
    return run


def status(client: httpx.Client, run_id: str) -> str:
    return str(client.get(f"/api/v1/runs/{run_id}").json()["status"])


def instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def active_runs(platform: Cluster) -> int:
    with platform.redis.client() as client:
        return sum(info.active for info in workers_seen(client))


@pytest.mark.parametrize("results", ["redis", "file"])
def test_a_run_submitted_on_a_is_paged_and_exported_from_b(
    platform: Cluster, tmp_path: Path, results: str
) -> None:
    if results == "file":  # a folder both hosts reach, standing for object storage
        platform.results_url = (tmp_path / "shared-results").as_uri()
    a, b = platform.webs("web-a", "web-b")
    platform.worker("worker-1", "--queues", "embedded")
    run = submit(admin(a), PAGED_SQL)
    assert (run["status"], run["row_count"]) == ("succeeded", ROWS), run
    if results == "file":
        assert [p for p in (tmp_path / "shared-results").rglob("*") if p.is_file()]
    on_b = admin(b)

    first = on_b.get(f"/api/v1/runs/{run['id']}/results", params={"limit": 100}).json()
    second = on_b.get(
        f"/api/v1/runs/{run['id']}/results", params={"offset": 100, "limit": 100}
    ).json()
    assert first["rows"] == [[n, f"row {n}"] for n in range(100)], first
    assert second["rows"] == [[n, f"row {n}"] for n in range(100, 200)], second

    exported = on_b.get(f"/api/v1/runs/{run['id']}/export", params={"format": "csv"})
    assert exported.status_code == 200, exported.text
    lines = list(csv.reader(io.StringIO(exported.text)))
    assert lines[0] == ["n", "label"]
    assert lines[1:] == [[str(n), f"row {n}"] for n in range(ROWS)]

    parquet = on_b.get(f"/api/v1/runs/{run['id']}/export", params={"format": "parquet"})
    assert parquet.status_code == 200, parquet.text
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column_names == ["n", "label"]
    assert table.column("n").to_pylist() == list(range(ROWS))
    assert table.column("label").to_pylist() == [f"row {n}" for n in range(ROWS)]


def test_a_cancel_on_b_frees_the_worker_within_a_second(platform: Cluster) -> None:
    a, b = platform.webs("web-a", "web-b")
    platform.worker("worker-1", "--queues", "embedded", "--concurrency", "1")
    on_a, on_b = admin(a), admin(b)
    endless = submit(on_a, ENDLESS_SQL, wait_ms=0)
    poll(lambda: status(on_b, endless["id"]) == "running", 30, "the long query runs")
    poll(lambda: active_runs(platform) == 1, 5, "the worker's heartbeat counts it")

    clicked = time.time()
    cancelled = on_b.post(f"/api/v1/runs/{endless['id']}/cancel").json()
    assert cancelled["status"] == "cancelled", cancelled
    quick = submit(on_b, "SELECT 7 AS seven")
    assert quick["status"] == "succeeded", quick
    assert quick["result"]["rows"] == [[7]], quick
    # The worker's only thread took the quick query: the long one had stopped.
    stopped_within = instant(quick["started_at"]) - clicked
    assert stopped_within < 1.0, f"the worker was busy {stopped_within:.2f} s after the cancel"
    assert status(on_a, endless["id"]) == "cancelled"
    poll(lambda: active_runs(platform) == 0, 3, "the worker's heartbeat says it is idle")


def test_a_chart_cached_through_a_is_a_cache_hit_through_b(platform: Cluster) -> None:
    a, b = platform.webs("web-a", "web-b")
    platform.worker("worker-1", "--queues", "embedded")
    on_a, on_b = admin(a), admin(b)
    body = {"name": "Regions", "connection": "demo", "spec": REGIONS}
    created = on_a.post("/api/v1/charts", json=body)
    assert created.status_code == 201, created.text
    chart = created.json()["id"]

    through_a = on_a.get(f"/api/v1/charts/{chart}/data")
    assert through_a.status_code == 200, through_a.text
    assert through_a.json()["cached"] is False  # A ran it
    runs_before = on_b.get("/api/v1/history").json()["runs"]
    through_b = on_b.get(f"/api/v1/charts/{chart}/data").json()
    assert through_b["cached"] is True, through_b
    assert through_b["rows"] == through_a.json()["rows"] and through_b["rows"]
    assert through_b["ran_at"] == through_a.json()["ran_at"]
    assert on_b.get("/api/v1/history").json()["runs"] == runs_before  # no new run


def test_signing_out_on_a_ends_the_session_on_b(platform: Cluster) -> None:
    a, b = platform.webs("web-a", "web-b")
    on_a = admin(a)
    assert b.url
    same_cookies_on_b = httpx.Client(base_url=b.url, cookies=dict(on_a.cookies), timeout=30)
    assert same_cookies_on_b.get("/api/v1/auth/me").status_code == 200

    signed_out = time.monotonic()
    assert on_a.post("/api/v1/auth/logout").status_code == 204
    poll(
        lambda: same_cookies_on_b.get("/api/v1/auth/me").status_code == 401,
        1.0 - (time.monotonic() - signed_out),
        "B refuses the session A ended",
    )


def test_a_password_change_on_a_ends_the_other_sessions_on_b(platform: Cluster) -> None:
    a, b = platform.webs("web-a", "web-b")
    assert a.url and b.url
    made = admin(a).post(
        "/api/v1/users", json={"username": "carol", "password": "old-password", "role": "editor"}
    )
    assert made.status_code == 201, made.text
    carol_on_a = signed_in(a.url, "carol", "old-password")
    carol_on_b = signed_in(b.url, "carol", "old-password")
    assert carol_on_b.get("/api/v1/auth/me").status_code == 200

    changed_at = time.monotonic()
    changed = carol_on_a.post(
        "/api/v1/auth/password",
        json={"current_password": "old-password", "new_password": "new-password-here"},
    )
    assert changed.status_code == 204, changed.text
    poll(
        lambda: carol_on_b.get("/api/v1/auth/me").status_code == 401,
        1.0 - (time.monotonic() - changed_at),
        "B refuses carol's other session",
    )
    assert carol_on_a.get("/api/v1/auth/me").status_code == 200  # the changer stays in
    signed_in(b.url, "carol", "new-password-here")


def test_a_web_server_killed_mid_wait_loses_no_run(platform: Cluster) -> None:
    a, b = platform.webs("web-a", "web-b")
    platform.worker("worker-1", "--queues", "embedded")
    on_a, on_b = admin(a), admin(b)
    waited: list[BaseException | httpx.Response] = []

    def wait_on_a() -> None:
        try:
            waited.append(
                on_a.post(
                    "/api/v1/runs", json={"connection": "demo", "sql": SLOW_SQL, "wait_ms": 30_000}
                )
            )
        except httpx.HTTPError as exc:
            waited.append(exc)

    client = threading.Thread(target=wait_on_a, daemon=True)
    client.start()

    def running() -> str | None:
        runs = on_b.get("/api/v1/history").json()["runs"]
        return next(
            (r["id"] for r in runs if r["sql"] == SLOW_SQL and r["status"] == "running"), None
        )

    run_id = poll(running, 30, "the slow query runs on the worker")
    a.kill()
    client.join(30)
    assert waited and isinstance(waited[0], httpx.HTTPError), waited  # A's client lost A

    ended = on_b.get(f"/api/v1/runs/{run_id}", params={"wait_ms": 30_000}).json()
    assert ended["status"] == "succeeded", ended
    rows = on_b.get(f"/api/v1/runs/{run_id}/results").json()["rows"]
    assert rows == [[str(SLOW_SUM)]]  # beyond 2**53: sent as text
