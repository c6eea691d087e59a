"""A cancel does not make a query free: a job that billed before its run was ended (by a
cancel or the deadline) still counts what it billed, and one whose bill is unknown counts its
estimate, so nobody can cancel their way past a budget."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from belvedere.costs.model import Scope
from belvedere.services import Services
from belvedere.store.models import QueryRun, utcnow
from tests.costs.bq import GB, dry_runs_say, jobs_bill, set_rule, user_id
from tests.support.faults import HttpProxy, RecordedRequest
from tests.support.web.client import Client, MakeClient


def is_job(request: RecordedRequest) -> bool:
    return request.kind == "jobs.query"


def start_and_cancel(ann: Client, proxy: HttpProxy) -> str:
    started = ann.post("/api/v1/runs", json={"connection": "bq", "sql": "SELECT 1", "wait_ms": 0})
    run_id = started.json()["id"]
    proxy.wait_for(is_job)  # the job was asked for: it may bill
    cancelled = ann.post(f"/api/v1/runs/{run_id}/cancel")
    assert cancelled.json()["status"] == "cancelled", cancelled.text
    return str(run_id)


def spent(services: Services) -> int:
    since = utcnow() - timedelta(days=1)
    return services.cost_store.spent("bq", [user_id(services, "ann")], since)


def test_a_job_that_billed_before_its_cancel_counts_what_it_billed(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.USER, str(user_id(cost_services, "ann")), daily=10 * GB)
    dry_runs_say(bq_http_proxy, 8 * GB)
    jobs_bill(bq_http_proxy, 3 * GB)
    bq_http_proxy.delay(2.0, when=is_job)  # the answer, and its bill, come after the cancel
    ann = cost_clients().login("ann")
    run_id = start_and_cancel(ann, bq_http_proxy)

    def billed() -> int | None:
        with cost_services.db.session() as s:
            run = s.scalars(select(QueryRun).where(QueryRun.id == run_id)).one()
            return run.bytes_billed

    deadline = time.monotonic() + 15  # the worker records it once the delayed answer comes
    while billed() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert billed() == 3 * GB
    assert spent(cost_services) == 3 * GB


def test_a_cancelled_job_whose_bill_is_unknown_counts_its_estimate(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.USER, str(user_id(cost_services, "ann")), daily=10 * GB)
    dry_runs_say(bq_http_proxy, 8 * GB)
    bq_http_proxy.hang(when=is_job)  # no answer: what it billed is never known
    ann = cost_clients().login("ann")
    start_and_cancel(ann, bq_http_proxy)
    assert spent(cost_services) == 8 * GB
    again = ann.post(
        "/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 2"}
    )
    assert again.json()["error"]["code"] == "budget_exceeded"
    assert (
        "more than the 2.0 GB left of your daily budget of 10.0 GB"
        in (again.json()["error"]["message"])
    )
