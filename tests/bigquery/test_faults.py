"""Never hang: a BigQuery that hangs, fails, resets or stalls ends each run in time, the job is
cancelled in BigQuery, and the server keeps answering meanwhile."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.bigquery.emulator import Emulator
from tests.support.faults import HttpProxy, RecordedRequest, TcpProxy, kind_is
from tests.support.servers.app import live_server
from tests.support.web.client import PASSWORD, Client, app_clients, signed_in

GRACE_SECONDS = 2.0


def query_job(request: RecordedRequest) -> bool:
    """The call that starts a query (``jobs.query``; ``jobs.insert`` but a dry run)."""
    if request.kind == "jobs.query":
        return True
    return request.kind == "jobs.insert" and not request.body["configuration"].get("dryRun")


def query_of(run_id: str) -> Callable[[RecordedRequest], bool]:
    """The query calls of one run (its label says which)."""
    return lambda r: r.kind == "jobs.query" and r.body["labels"].get("belvedere_run") == run_id


def a_cancel(request: RecordedRequest) -> bool:
    return request.kind == "jobs.cancel"


def cancelled_job(request: RecordedRequest) -> str:
    """The job id of a jobs.cancel call (BigQuery names jobs.query's jobs)."""
    return request.path.removesuffix("/cancel").rsplit("/", 1)[-1]


def assert_job_of_run(bq_emulator: Emulator, job_id: str, sql: str) -> None:
    """``job_id`` is the job BigQuery started for this run's query (its answer named it)."""
    job = bq_emulator.client().get_job(job_id)
    assert getattr(job, "query", None) == sql


def timed_post(api: Client, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """The run (also when the answer is an error) and how long the answer took."""
    started = time.monotonic()
    response = api.post("/api/v1/runs", json={"connection": "bq", **body})
    answer = response.json()
    return answer.get("run", answer), time.monotonic() - started


def test_cancel_calls_jobs_cancel_and_stops_waiting(
    bq_api: Client, bq_http_proxy: HttpProxy
) -> None:
    bq_http_proxy.hang(when=query_job)
    run = bq_api.post(
        "/api/v1/runs", json={"connection": "bq", "sql": "SELECT 1", "wait_ms": 0}
    ).json()
    bq_http_proxy.wait_for(query_job)  # the query's call is in flight, and hangs
    started = time.monotonic()
    cancelled = bq_api.post(f"/api/v1/runs/{run['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert time.monotonic() - started < GRACE_SECONDS
    bq_http_proxy.reset()  # let the hung request go, so the worker ends now


def test_a_cancel_before_the_job_id_is_known_reaches_the_job(
    bq_api: Client, bq_http_proxy: HttpProxy, bq_emulator: Emulator
) -> None:
    # jobs.query names the job in its answer: a cancel that comes first waits for the name.
    sql = "SELECT 11 AS eleven"
    bq_http_proxy.delay(1.0, when=query_job, times=1)
    run = bq_api.post("/api/v1/runs", json={"connection": "bq", "sql": sql, "wait_ms": 0}).json()
    bq_http_proxy.wait_for(query_of(run["id"]))
    assert bq_http_proxy.cancels() == []
    cancelled = bq_api.post(f"/api/v1/runs/{run['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    answered = bq_http_proxy.wait_for(lambda r: query_of(run["id"])(r) and r.status is not None)
    cancel = bq_http_proxy.wait_for(a_cancel)
    assert answered.status == 200
    # Sent once the answer named the job (it arrived 1 s after the call), and right after it.
    assert 1.0 <= cancel.time - answered.time < 1.0 + GRACE_SECONDS
    assert_job_of_run(bq_emulator, cancelled_job(cancel), sql)
    assert len(bq_http_proxy.cancels()) == 1
    assert [r.kind for r in bq_http_proxy.requests if query_job(r)] == ["jobs.query"]


def test_a_cancel_while_a_long_query_runs_reaches_its_job_at_once(
    bq_api: Client, bq_http_proxy: HttpProxy
) -> None:
    # BigQuery answers a query still running at the end of the call's short wait with its job
    # reference (the emulator always finishes first: the proxy answers in its place); waiting
    # for the rows then hangs.
    job = {"projectId": "test-project", "jobId": "long_running_job", "location": "US"}
    bq_http_proxy.status(200, {"jobReference": job, "jobComplete": False}, when=query_job)
    bq_http_proxy.hang(when=kind_is("jobs.getQueryResults", "jobs.get"))
    bq_http_proxy.status(200, {"job": {"jobReference": job}}, when=a_cancel)
    run = bq_api.post(
        "/api/v1/runs", json={"connection": "bq", "sql": "SELECT 13", "wait_ms": 0}
    ).json()
    bq_http_proxy.wait_for(kind_is("jobs.getQueryResults", "jobs.get"))
    assert bq_http_proxy.cancels() == []
    asked = time.monotonic()
    cancelled = bq_api.post(f"/api/v1/runs/{run['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    cancel = bq_http_proxy.wait_for(a_cancel)
    assert cancelled_job(cancel) == "long_running_job"  # known from the first answer
    assert 0 <= cancel.time - asked < GRACE_SECONDS
    assert [r.kind for r in bq_http_proxy.requests if query_job(r)] == ["jobs.query"]
    bq_http_proxy.reset()


def test_deadline_ends_the_run_and_cancels_the_job(
    bq_api: Client, bq_http_proxy: HttpProxy, bq_emulator: Emulator
) -> None:
    # The answer (with the job's id) comes after the deadline: the job is cancelled then.
    sql = "SELECT 12 AS twelve"
    bq_http_proxy.delay(1.5, when=query_job, times=1)
    run, took = timed_post(bq_api, {"sql": sql, "timeout_seconds": 1, "wait_ms": 20_000})
    assert run["status"] == "timed_out"
    assert "1 s deadline" in run["error"]["message"]
    assert took < 1 + GRACE_SECONDS
    cancel = bq_http_proxy.wait_for(a_cancel)
    assert_job_of_run(bq_emulator, cancelled_job(cancel), sql)


def test_a_hung_query_call_ends_at_the_deadline(bq_api: Client, bq_http_proxy: HttpProxy) -> None:
    bq_http_proxy.hang(when=query_job)
    run, took = timed_post(bq_api, {"sql": "SELECT 1", "timeout_seconds": 1, "wait_ms": 20_000})
    assert run["status"] == "timed_out"
    assert took < 1 + GRACE_SECONDS
    bq_http_proxy.reset()


def test_server_errors_are_retried_until_the_deadline(
    bq_api: Client, bq_http_proxy: HttpProxy
) -> None:
    bq_http_proxy.status(503, when=query_job)
    run, took = timed_post(bq_api, {"sql": "SELECT 1", "timeout_seconds": 3, "wait_ms": 20_000})
    assert run["status"] in ("timed_out", "failed")
    assert took < 3 + GRACE_SECONDS
    assert len([r for r in bq_http_proxy.requests if query_job(r)]) >= 2  # the SDK retried
    bq_http_proxy.reset()
    after, _ = timed_post(bq_api, {"sql": "SELECT 2 AS two", "wait_ms": 20_000})
    assert after["status"] == "succeeded"


def test_a_reset_connection_is_retried(bq_api: Client, bq_http_proxy: HttpProxy) -> None:
    bq_http_proxy.reset_connection(when=query_job, times=1)
    run, _ = timed_post(bq_api, {"sql": "SELECT 3 AS three", "wait_ms": 20_000})
    assert run["status"] == "succeeded"
    assert run["result"]["rows"] == [[3]]
    # This run's calls only: the previous test's run may send its last retry up to a second
    # past its deadline (the backend's own timeout), into this test's recording.
    calls = [r for r in bq_http_proxy.requests if query_of(run["id"])(r)]
    assert len(calls) == 2
    assert calls[0].body["requestId"] == calls[1].body["requestId"]  # the same job, not two


def test_stalled_storage_stream_ends_at_the_deadline_and_frees_its_thread(
    make_settings: Callable[..., Settings],
    bq_options: dict[str, Any],
    bq_grpc_proxy: TcpProxy,
) -> None:
    services = Services(make_settings(query_threads=1))
    services.first_start()
    services.connections.add("bq", "bigquery", bq_options)
    with app_clients(services) as make:
        api = make().login()
        bq_grpc_proxy.stall_after(64 * 1024)
        body = {"table": {"schema": "shop", "name": "big"}, "export": True, "timeout_seconds": 2}
        run, took = timed_post(api, {**body, "wait_ms": 20_000})
        assert run["status"] == "timed_out"
        assert took < 2 + GRACE_SECONDS
        bq_grpc_proxy.reset()
        # The only remote thread is free again: the stalled read was stopped, not abandoned.
        after, _ = timed_post(api, {"sql": "SELECT 4 AS four", "wait_ms": 10_000})
        assert after["status"] == "succeeded"
    services.close()


@pytest.mark.parametrize("runs", [20])
def test_server_answers_while_bigquery_hangs(
    bq_services: Services, bq_http_proxy: HttpProxy, runs: int
) -> None:
    bq_http_proxy.hang(when=query_job)
    with app_clients(bq_services) as clients, live_server(clients.app) as url:
        api = signed_in(url, "admin", PASSWORD)
        ids = [
            api.post(
                "/api/v1/runs", json={"connection": "bq", "sql": f"SELECT {n}", "wait_ms": 0}
            ).json()["id"]
            for n in range(runs)
        ]
        quick = httpx.Client(base_url=url, timeout=2.0)
        for _ in range(10):
            assert quick.get("/health").status_code == 200
        assert api.get("/api/v1/history?limit=5", timeout=2.0).status_code == 200
        for run_id in ids:
            assert api.post(f"/api/v1/runs/{run_id}/cancel").json()["status"] == "cancelled"
        bq_http_proxy.reset()
