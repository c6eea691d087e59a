"""A short query is one ``jobs.query`` call: what that call carries, what its answer tells
(the job's id and the bytes billed), and what happens when the answer never comes."""

from __future__ import annotations

import time
from typing import Any

from belvedere.cluster.orphans import OrphanStopper
from belvedere.services import Services
from belvedere.warehouses.bigquery.jobs_query import FIRST_WAIT_SECONDS
from tests.bigquery.conftest import BQ_CAP
from tests.support.faults import HttpProxy, RecordedRequest, kind_is
from tests.support.web.client import Client

LONG_JOB = {"projectId": "test-project", "jobId": "long_running_job", "location": "US"}
WAITING = kind_is("jobs.getQueryResults", "jobs.get")


def calls_of(proxy: HttpProxy, run_id: str) -> list[RecordedRequest]:
    """The run's jobs.query calls (its label says which)."""
    return [
        r
        for r in proxy.requests
        if r.kind == "jobs.query" and r.body.get("labels", {}).get("belvedere_run") == run_id
    ]


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


def test_the_call_carries_labels_cap_location_request_id_and_a_short_wait(
    bq_api: Client, bq_services: Services, bq_options: dict[str, Any], bq_http_proxy: HttpProxy
) -> None:
    bq_services.connections.add(
        "bq_us", "bigquery", {**bq_options, "location": "US", "maximum_bytes_billed": BQ_CAP}
    )
    body = {"connection": "bq_us", "sql": "SELECT 5 AS five", "wait_ms": 20_000}
    run = bq_api.post("/api/v1/runs", json=body).json()
    assert run["status"] == "succeeded", run
    [call] = calls_of(bq_http_proxy, run["id"])
    sent = call.body
    assert sent["query"] == "SELECT 5 AS five"
    assert sent["labels"]["belvedere_surface"] == "api"
    assert sent["labels"]["belvedere"] == "true"
    assert sent["maximumBytesBilled"] == str(BQ_CAP)
    assert sent["location"] == "US"
    assert sent["requestId"]
    assert 0 < sent["timeoutMs"] <= FIRST_WAIT_SECONDS * 1000
    assert not [r for r in bq_http_proxy.requests if r.kind == "jobs.insert" and not _dry(r)]


def _dry(request: RecordedRequest) -> bool:
    return bool(request.body["configuration"].get("dryRun"))


def test_the_run_records_the_bytes_bigquery_billed(
    bq_api: Client, bq_http_proxy: HttpProxy
) -> None:
    # The emulator reports no bytes billed; BigQuery's jobs.query answer does.
    bq_http_proxy.edit(
        lambda _, answer: {**answer, "totalBytesBilled": "10485760"}, when=kind_is("jobs.query")
    )
    body = {"connection": "bq", "sql": "SELECT 6 AS six", "wait_ms": 20_000}
    run = bq_api.post("/api/v1/runs", json=body).json()
    assert run["status"] == "succeeded", run
    assert run_of(bq_api, run["id"])["bytes_billed"] == 10_485_760
    assert run_of(bq_api, run["id"])["job_id"]


def test_a_long_querys_job_is_on_the_run_while_it_runs_so_another_process_can_stop_it(
    bq_api: Client, bq_services: Services, bq_http_proxy: HttpProxy
) -> None:
    # BigQuery answers a query still running at the end of the call's short wait with its job
    # reference (the emulator always finishes first: the proxy answers in its place).
    bq_http_proxy.status(
        200, {"jobReference": LONG_JOB, "jobComplete": False}, when=kind_is("jobs.query")
    )
    bq_http_proxy.hang(when=WAITING)
    bq_http_proxy.status(200, {"job": {"jobReference": LONG_JOB}}, when=kind_is("jobs.cancel"))
    run = bq_api.post(
        "/api/v1/runs", json={"connection": "bq", "sql": "SELECT 7", "wait_ms": 0}
    ).json()
    recorded = until(lambda: run_of(bq_api, run["id"]))
    until(lambda: run_of(bq_api, run["id"])["job_id"] == "long_running_job")
    assert run_of(bq_api, run["id"])["status"] == "running", recorded
    assert bq_http_proxy.cancels() == []

    # A worker that died with it: another process stops the job by the recorded id.
    OrphanStopper(bq_services.runs, bq_services.users, bq_services.connections)(run["id"])
    [cancel] = bq_http_proxy.cancels()
    assert cancel.path.endswith("/jobs/long_running_job/cancel")
    assert not [r for r in bq_http_proxy.requests if r.kind == "jobs.list"]
    bq_api.post(f"/api/v1/runs/{run['id']}/cancel")
    bq_http_proxy.reset()


def test_a_lost_answer_is_asked_again_with_the_same_request_id(
    bq_api: Client, bq_http_proxy: HttpProxy
) -> None:
    # BigQuery started the job but its answer was lost: the retry carries the same requestId,
    # so BigQuery answers with that job rather than starting a second one.
    bq_http_proxy.lose_answer(when=kind_is("jobs.query"), times=1)
    body = {"connection": "bq", "sql": "SELECT 8 AS eight", "wait_ms": 20_000}
    run = bq_api.post("/api/v1/runs", json=body).json()
    assert run["status"] == "succeeded", run
    assert run["result"]["rows"] == [[8]]
    first, again = calls_of(bq_http_proxy, run["id"])
    assert first.status is None  # never answered
    assert again.body["requestId"] == first.body["requestId"]


def test_a_start_never_answered_is_found_by_its_label_and_cancelled(
    bq_api: Client, bq_http_proxy: HttpProxy
) -> None:
    def job(job_id: str, run_label: str, state: str) -> dict[str, Any]:
        return {
            "id": f"test-project:US.{job_id}",
            "jobReference": {**LONG_JOB, "jobId": job_id},
            "state": state,
            "status": {"state": state},
            "configuration": {
                "query": {"query": "SELECT 9"},
                "labels": {"belvedere_run": run_label},
            },
        }

    def listing(*_: Any) -> dict[str, Any]:
        """BigQuery's listing as it would answer (the emulator keeps no labels on its jobs):
        the lost call's job running, another run's, and one of this run that is done."""
        [lost] = [r for r in bq_http_proxy.requests if r.kind == "jobs.query"][:1]
        run_label = lost.body["labels"]["belvedere_run"]
        return {
            "jobs": [
                job("of_this_run", run_label, "RUNNING"),
                job("of_another_run", "0" * 32, "RUNNING"),
                job("of_this_run_done", run_label, "DONE"),
            ]
        }

    bq_http_proxy.lose_answer(when=kind_is("jobs.query"))
    bq_http_proxy.edit(listing, when=kind_is("jobs.list"))
    bq_http_proxy.status(200, {"job": {"jobReference": LONG_JOB}}, when=kind_is("jobs.cancel"))
    body = {"connection": "bq", "sql": "SELECT 9", "timeout_seconds": 1, "wait_ms": 20_000}
    answer = bq_api.post("/api/v1/runs", json=body).json()
    run = answer.get("run", answer)
    assert run["status"] in ("timed_out", "failed"), run
    cancel = bq_http_proxy.wait_for(kind_is("jobs.cancel"), timeout=30)
    assert cancel.path.endswith("/jobs/of_this_run/cancel")
    [listed] = [r for r in bq_http_proxy.requests if r.kind == "jobs.list"]
    assert "minCreationTime" in listed.params
    assert [c.path.rsplit("/", 2)[-2] for c in bq_http_proxy.cancels()] == ["of_this_run"]
    bq_http_proxy.reset()
