"""Queries in flight reserve their estimate against the budget, so that concurrent queries
cannot all pass; a one-off raise lets one query past its cap, once, audited."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from belvedere.audit.events import AuditAction, EventDraft, EventFilter, ObjectKind
from belvedere.costs.model import Raise, Scope
from belvedere.services import Services
from belvedere.store.models import utcnow
from tests.costs.bq import GB, dry_runs_say, job_cap, jobs_bill, queries_run, set_rule, user_id
from tests.support.faults import HttpProxy
from tests.support.web.client import MakeClient

RACERS = 6


def test_concurrent_queries_cannot_all_pass_the_budget(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.GROUP, "analysts", daily=10 * GB)
    dry_runs_say(bq_http_proxy, 4 * GB)
    jobs_bill(bq_http_proxy, 4 * GB)
    bq_http_proxy.delay(1.0, when=lambda r: r.kind == "jobs.query")  # still running meanwhile
    clients = [cost_clients().login(name) for name in ("ann", "bob") * (RACERS // 2)]

    def run(index: int) -> str:
        response = clients[index].post(
            "/api/v1/runs", json={"connection": "bq", "sql": f"SELECT {index}", "wait_ms": 10_000}
        )
        body = response.json()
        return str(body.get("status") or body["error"]["code"])

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = sorted(pool.map(run, range(RACERS)))
    assert outcomes == ["budget_exceeded"] * (RACERS - 2) + ["succeeded"] * 2
    assert len(queries_run(bq_http_proxy)) == 2
    spent = cost_services.cost_store.spent(
        "bq",
        [user_id(cost_services, "ann"), user_id(cost_services, "bob")],
        utcnow() - timedelta(days=1),
    )
    assert spent == 8 * GB


def grant(services: Services, name: str, max_bytes: int) -> Raise:
    def event(granted: Raise) -> EventDraft:
        details = {"max_bytes": max_bytes, "reason": "quarter close"}
        return EventDraft(
            AuditAction.COST_RAISE_GRANTED, ObjectKind.COST_RAISE, str(granted.id), 1, details
        )

    return services.cost_store.grant_raise(
        user_id(services, name),
        "bq",
        max_bytes,
        "quarter close",
        1,
        utcnow() + timedelta(hours=24),
        event,
    )


def test_a_one_off_raise_is_used_once_and_audited(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.ROLE, "editor", cap=10 * GB)
    dry_runs_say(bq_http_proxy, 50 * GB)
    jobs_bill(bq_http_proxy, 50 * GB)
    ann = cost_clients().login("ann")
    small = grant(cost_services, "ann", 20 * GB)  # does not cover the estimate: left unused
    estimate = ann.post("/api/v1/estimate", json={"connection": "bq", "sql": "SELECT 1"}).json()
    assert (estimate["over_cap"], estimate["raise_bytes"]) == (True, 20 * GB)
    raised = grant(cost_services, "ann", 100 * GB)

    first = ann.post(
        "/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 1"}
    ).json()
    assert first.get("status") == "succeeded", first
    [sent] = queries_run(bq_http_proxy)
    assert job_cap(sent) == 100 * GB  # BigQuery holds the job to the raise
    second = ann.post(
        "/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 2"}
    )
    assert second.json()["error"]["code"] == "byte_cap_exceeded"  # refused again
    assert len(queries_run(bq_http_proxy)) == 1

    [used] = cost_services.cost_store.raises(user_id=user_id(cost_services, "ann"))[:1]
    assert (used.id, used.used_by_run) == (raised.id, first["id"])
    assert cost_services.cost_store.get_raise(small.id).used_by_run is None  # type: ignore[union-attr]
    events = cost_services.audit.find_events(
        EventFilter(object_kind=ObjectKind.COST_RAISE, object_id=str(raised.id)), limit=10
    )
    assert [e.action for e in events] == ["cost_raise_used", "cost_raise_granted"]
    assert events[0].details == {"run_id": first["id"], "connection": "bq", "estimate": 50 * GB}
    assert events[0].actor == "ann"


def test_a_raise_also_lets_one_query_past_a_spent_budget(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.USER, str(user_id(cost_services, "bob")), daily=5 * GB)
    dry_runs_say(bq_http_proxy, 8 * GB)
    jobs_bill(bq_http_proxy, 8 * GB)
    bob = cost_clients().login("bob")
    refused = bob.post(
        "/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 1"}
    ).json()
    assert refused["error"]["code"] == "budget_exceeded"
    grant(cost_services, "bob", 10 * GB)
    passed = bob.post(
        "/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 1"}
    ).json()
    assert (passed.get("status"), passed["bytes_billed"]) == ("succeeded", 8 * GB)
    assert job_cap(queries_run(bq_http_proxy)[-1]) == 10 * GB
    again = bob.post(
        "/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 1"}
    ).json()
    assert again["error"]["message"].startswith(
        "This query would process 8.0 GB, more than the 0 B left of your daily budget of "
        "5.0 GB on bq (it resets at 00:00 on "
    )
