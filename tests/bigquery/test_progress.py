"""A long query's progress: while BigQuery runs it, the runs API says how many bytes it has
processed and how much slot time it has used, as the job's statistics report them."""

from __future__ import annotations

import time
from typing import Any

from tests.support.faults import HttpProxy, kind_is
from tests.support.web.client import Client

LONG_JOB = {"projectId": "test-project", "jobId": "long_running_job", "location": "US"}


def running_job(bytes_processed: int, slot_ms: int) -> dict[str, Any]:
    """A jobs.get answer of a query still running, with its statistics so far."""
    return {
        "kind": "bigquery#job",
        "id": "test-project:US.long_running_job",
        "jobReference": LONG_JOB,
        "configuration": {"query": {"query": "SELECT 21"}, "jobType": "QUERY"},
        "status": {"state": "RUNNING"},
        "statistics": {
            "creationTime": "1700000000000",
            "startTime": "1700000000100",
            "totalSlotMs": str(slot_ms),
            "query": {"totalBytesProcessed": str(bytes_processed)},
        },
    }


def run_of(api: Client, run_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = api.get(f"/api/v1/runs/{run_id}").json()
    return answer


def until(condition: Any, timeout: float = 10.0) -> Any:
    """Poll ``condition()`` until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not met in time")


def test_a_running_query_reports_bytes_processed_and_slot_time(
    bq_api: Client, bq_http_proxy: HttpProxy
) -> None:
    # BigQuery answers a query still running at the end of the call's short wait with its job
    # reference (the emulator always finishes first: the proxy answers in its place); the
    # wait then polls the job, whose statistics grow, and waits for its rows (held here).
    bq_http_proxy.status(
        200, {"jobReference": LONG_JOB, "jobComplete": False}, when=kind_is("jobs.query")
    )
    bq_http_proxy.status(200, running_job(1_288_490_189, 3_400), when=kind_is("jobs.get"))
    bq_http_proxy.hang(when=kind_is("jobs.getQueryResults"))
    bq_http_proxy.status(200, {"job": {"jobReference": LONG_JOB}}, when=kind_is("jobs.cancel"))
    run = bq_api.post(
        "/api/v1/runs", json={"connection": "bq", "sql": "SELECT 21", "wait_ms": 0}
    ).json()
    assert run.get("progress") is None  # nothing reported yet

    seen = until(lambda: run_of(bq_api, run["id"]).get("progress") and run_of(bq_api, run["id"]))
    assert seen["status"] == "running"
    assert seen["progress"] == {"bytes_processed": 1_288_490_189, "slot_ms": 3_400}

    cancelled = bq_api.post(f"/api/v1/runs/{run['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert run_of(bq_api, run["id"])["progress"] is None  # an ended run has its final counts
    bq_http_proxy.reset()
