"""The execution service: states, deadline, cancel, caps, results, history, isolation."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from belvedere.connections.service import ConnectionNotFound
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, RunStatus, Surface
from belvedere.execution.service import InvalidRequest, RunNotFound
from belvedere.results import ResultMissing
from belvedere.services import Services
from belvedere.settings import Settings
from belvedere.store.models import QueryRun, utcnow

pytestmark = pytest.mark.anyio

ALICE = Actor(user_id=1, name="admin", role="admin")
FOREVER = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_services(
    make_settings: Callable[..., Settings], demo_path: Path
) -> Iterator[Callable[..., Services]]:
    made: list[Services] = []

    def make(**overrides: Any) -> Services:
        svc = Services(make_settings(**overrides))
        svc.first_start()
        svc.connections.add("demo", "duckdb", {"path": str(demo_path), "read_only": True})
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.close()


def request(sql: str, **kwargs: Any) -> QueryRequest:
    return QueryRequest(connection="demo", sql=sql, actor=ALICE, surface=Surface.API, **kwargs)


async def run_to_end(services: Services, sql: str, **kwargs: Any) -> QueryRun:
    run = await services.execution.submit(request(sql, **kwargs))
    return await services.execution.wait(run.id, ALICE, timeout=60)


async def test_a_run_succeeds_and_is_recorded(services: Services) -> None:
    sql = "SELECT region, count(*) AS n FROM customers GROUP BY 1 ORDER BY 2 DESC"
    run = await run_to_end(services, sql)
    assert run.status == RunStatus.SUCCEEDED
    assert (run.row_count, run.truncated) == (4, False)
    assert run.started_at is not None and run.finished_at is not None
    assert run.submitted_at <= run.started_at <= run.finished_at
    page = await services.execution.page(run, 0, 10)
    assert page.rows.column("region").to_pylist()[0] == "North America"
    [recorded] = await services.execution.history(ALICE, limit=5, before=None, connection=None)
    assert (recorded.id, recorded.sql, recorded.actor, recorded.connection_name) == (
        run.id,
        sql,
        "admin",
        "demo",
    )
    await services.execution.close()


async def test_row_cap_truncates_and_says_so(make_services: Callable[..., Services]) -> None:
    services = make_services(max_result_rows=1000)
    capped = await run_to_end(services, "SELECT * FROM order_lines")
    assert (capped.status, capped.row_count, capped.truncated) == ("succeeded", 1000, True)
    exact = await run_to_end(services, "SELECT * FROM order_lines LIMIT 1000")
    assert (exact.row_count, exact.truncated) == (1000, False)
    export = await run_to_end(services, "SELECT * FROM order_lines LIMIT 5000", export=True)
    assert (export.row_count, export.truncated) == (5000, False)
    asked = await run_to_end(services, "SELECT * FROM order_lines", max_rows=10)
    assert (asked.row_count, asked.truncated) == (10, True)
    await services.execution.close()


MIXED = """
SELECT n, n * 1.5::DECIMAL(10, 2) AS amount, 'row ' || n AS label, n % 2 = 0 AS even,
       TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (n) HOUR AS at, DATE '2026-01-01' + n::INTEGER AS day,
       [n, n + 1] AS pair, CASE WHEN n = 2 THEN NULL ELSE n END AS gap
FROM range(5) t(n) ORDER BY n
"""


async def test_the_page_a_waiter_gets_from_memory_is_the_stored_page(
    services: Services,
) -> None:
    execution = services.execution
    run = await run_to_end(services, MIXED)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    kept = await execution.page_json(run, 1, 3)  # answered from what the worker kept
    stored = await execution.page_json(run, 1, 3)  # read back from the result file
    assert kept == stored
    assert (kept.total_rows, len(kept.rows)) == (5, 3)
    assert kept.rows[1][7] is None and kept.rows[0][2] == "row 1"
    arrow = await execution.page(run, 0, 5)
    assert arrow.rows.equals((await execution.page(run, 0, 5)).rows)
    await execution.close()


async def test_a_large_result_is_not_kept_in_memory(services: Services) -> None:
    run = await run_to_end(services, "SELECT range AS n FROM range(20000)")
    assert services.execution._fresh.take(run.id) is None  # type: ignore[union-attr]
    small = await run_to_end(services, "SELECT 1 AS n")
    assert services.execution._fresh.take(small.id) is not None  # type: ignore[union-attr]
    page = await services.execution.page(run, 19_998, 5)
    assert page.rows.column("n").to_pylist() == [19_998, 19_999]
    await services.execution.close()


async def test_paging_reads_across_batches(services: Services) -> None:
    run = await run_to_end(services, "SELECT range AS n FROM range(200000)")
    page = await services.execution.page(run, 65_530, 10)
    assert page.rows.column("n").to_pylist() == list(range(65_530, 65_540))
    assert page.total_rows == 100_000  # the default interactive cap
    assert run.truncated
    await services.execution.close()


async def test_error_is_recorded_with_position(services: Services) -> None:
    run = await run_to_end(services, "SELECT *\nFROM orders\nWHERE FROM")
    assert run.status == RunStatus.FAILED
    assert run.error_code == "syntax_error"
    assert run.error_line == 3
    assert "syntax error" in (run.error_message or "")
    await services.execution.close()


async def test_deadline_times_out_and_frees_the_warehouse(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(embedded_query_threads=1)
    run = await run_to_end(services, FOREVER, timeout_seconds=0.5)
    assert run.status == RunStatus.TIMED_OUT
    assert "0.5 s deadline" in (run.error_message or "")
    # The only query thread is free again: the warehouse really stopped the query.
    after = await run_to_end(services, "SELECT 42 AS answer")
    assert after.status == RunStatus.SUCCEEDED
    await services.execution.close()


async def test_cancel_stops_a_running_query(make_services: Callable[..., Services]) -> None:
    services = make_services(embedded_query_threads=1)
    execution = services.execution
    run = await execution.submit(request(FOREVER))
    while (await execution.get(run.id, ALICE)).status != RunStatus.RUNNING:
        await execution.wait(run.id, ALICE, timeout=0.05)
    cancelled = await execution.cancel(run.id, ALICE)
    assert cancelled.status == RunStatus.CANCELLED
    assert cancelled.error_message == "Cancelled by the user."
    after = await run_to_end(services, "SELECT 1 AS one")
    assert after.status == RunStatus.SUCCEEDED
    assert not execution.results.exists(run.id)
    await execution.close()


async def test_queued_runs_wait_for_a_thread_and_can_be_cancelled_or_time_out(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(embedded_query_threads=1)
    execution = services.execution
    blocker = await execution.submit(request(FOREVER))
    queued = await execution.submit(request("SELECT 1"))
    expiring = await execution.submit(request("SELECT 2", timeout_seconds=0.3))
    assert (await execution.get(queued.id, ALICE)).status == RunStatus.QUEUED
    cancelled = await execution.cancel(queued.id, ALICE)
    assert cancelled.status == RunStatus.CANCELLED and cancelled.started_at is None
    timed_out = await execution.wait(expiring.id, ALICE, timeout=30)
    assert timed_out.status == RunStatus.TIMED_OUT and timed_out.started_at is None
    await execution.cancel(blocker.id, ALICE)
    follow_up = await run_to_end(services, "SELECT 3")
    assert follow_up.status == RunStatus.SUCCEEDED
    # Neither skipped run ever started, even after the thread freed up.
    assert (await execution.get(queued.id, ALICE)).started_at is None
    await execution.close()


async def test_runs_are_private_to_their_owner(services: Services) -> None:
    run = await run_to_end(services, "SELECT 1")
    mallory = Actor(user_id=2, name="mallory", role="admin")
    with pytest.raises(RunNotFound):
        await services.execution.get(run.id, mallory)
    with pytest.raises(RunNotFound):
        await services.execution.cancel(run.id, mallory)
    assert await services.execution.history(mallory, limit=5, before=None, connection=None) == []
    await services.execution.close()


async def test_refuses_empty_sql_and_unknown_connection(services: Services) -> None:
    with pytest.raises(InvalidRequest, match="empty"):
        await services.execution.submit(request("  \n "))
    with pytest.raises(ConnectionNotFound):
        await services.execution.submit(
            QueryRequest(connection="nope", sql="SELECT 1", actor=ALICE, surface=Surface.API)
        )
    assert await services.execution.history(ALICE, limit=5, before=None, connection=None) == []
    await services.execution.close()


async def test_results_beyond_the_budget_are_evicted(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(results_budget_mb=1)
    first = await run_to_end(services, "SELECT * FROM order_lines LIMIT 10000")
    second = await run_to_end(services, "SELECT * FROM order_lines LIMIT 10000 OFFSET 5")
    assert services.execution.results.total_bytes() <= 1024 * 1024
    with pytest.raises(ResultMissing):
        await services.execution.page(first, 0, 1)
    assert (await services.execution.page(second, 0, 1)).total_rows == 10000
    await services.execution.close()


async def test_a_run_left_behind_by_a_stopped_server_ends_failed(services: Services) -> None:
    now = utcnow()
    orphan = QueryRun(
        id=uuid.uuid4().hex,
        user_id=ALICE.user_id,
        actor=ALICE.name,
        connection_name="demo",
        surface="api",
        sql="SELECT 1",
        status="running",
        max_rows=10,
        truncated=False,
        submitted_at=now - timedelta(hours=1),
        started_at=now - timedelta(hours=1),
        deadline_at=now - timedelta(minutes=30),
    )
    services.runs.add(orphan)
    run = await services.execution.get(orphan.id, ALICE)
    assert run.status == RunStatus.FAILED
    assert run.error_message == "The server stopped before this query finished."
    await services.execution.close()


async def test_a_cancel_from_another_process_stops_the_query_here(
    make_settings: Callable[..., Settings], demo_path: Path
) -> None:
    settings = make_settings(embedded_query_threads=1)
    here, elsewhere = Services(settings), Services(settings)  # two server processes, one store
    here.first_start()
    here.connections.add("demo", "duckdb", {"path": str(demo_path), "read_only": True})
    try:
        run = await here.execution.submit(request(FOREVER))
        while (await here.execution.get(run.id, ALICE)).status != RunStatus.RUNNING:
            await here.execution.wait(run.id, ALICE, timeout=0.05)
        cancelled = await elsewhere.execution.cancel(run.id, ALICE)
        assert cancelled.status == RunStatus.CANCELLED
        ended = await here.execution.wait(run.id, ALICE, timeout=5)
        assert ended.status == RunStatus.CANCELLED
        # The one query thread is free again: DuckDB was interrupted, not left running.
        after = await here.execution.submit(request("SELECT 1 AS one"))
        assert (await here.execution.wait(after.id, ALICE, timeout=10)).status == (
            RunStatus.SUCCEEDED
        )
    finally:
        await here.execution.close()
        await elsewhere.execution.close()
        here.close()
        elsewhere.close()
