"""Caps and budgets hold a query before its job starts: refused with the estimate, the limit,
where it comes from and when it resets, and nothing but the dry run sent to BigQuery; what
passes runs capped at what it may bill."""

from __future__ import annotations

from belvedere.costs.model import Scope
from belvedere.execution.runs import Actor
from belvedere.services import Services
from tests.costs.bq import (
    GB,
    TB,
    dry_runs_say,
    is_dry_run,
    job_cap,
    jobs_bill,
    queries_run,
    set_rule,
    user_id,
)
from tests.support.faults import HttpProxy
from tests.support.web.client import MakeClient

NO_JOB = "No job was started. An admin can grant a one-off raise."


def run(clients: MakeClient, who: str, sql: str = "SELECT 1 AS x") -> dict:  # type: ignore[type-arg]
    response = (
        clients()
        .login(who)
        .post("/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": sql})
    )
    body: dict = response.json()  # type: ignore[type-arg]
    body["status_code"] = response.status_code
    return body


def test_no_rule_no_dry_run(cost_clients: MakeClient, bq_http_proxy: HttpProxy) -> None:
    body = run(cost_clients, "ann")
    assert body.get("status") == "succeeded", body
    assert not [r for r in bq_http_proxy.requests if is_dry_run(r)]  # one query, one job
    [sent] = queries_run(bq_http_proxy)
    assert job_cap(sent) is None


def test_over_the_cap_of_the_role_is_refused_with_no_job(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.ROLE, "editor", cap=100 * GB)
    dry_runs_say(bq_http_proxy, 300 * GB)
    body = run(cost_clients, "ann")
    assert body["status_code"] == 400
    assert body["error"]["code"] == "byte_cap_exceeded"
    assert body["error"]["message"] == (
        "This query would process 300.0 GB, more than the 100.0 GB allowed per query on bq "
        f"(the cap of role editor). {NO_JOB}"
    )
    assert body["run"]["bytes_estimated"] == 300 * GB
    assert queries_run(bq_http_proxy) == []
    assert len([r for r in bq_http_proxy.requests if is_dry_run(r)]) == 1


def test_the_most_specific_rule_decides(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.ROLE, "editor", cap=100 * GB)
    set_rule(cost_services, Scope.GROUP, "analysts", cap=200 * GB)
    set_rule(cost_services, Scope.GROUP, "finance", cap=400 * GB)
    set_rule(cost_services, Scope.USER, str(user_id(cost_services, "eve")), cap=50 * GB)
    dry_runs_say(bq_http_proxy, 300 * GB)
    jobs_bill(bq_http_proxy, 10 * GB)

    ann = run(cost_clients, "ann")  # analysts' cap beats the role's
    assert ann["error"]["message"].startswith(
        "This query would process 300.0 GB, more than the 200.0 GB allowed per query on bq "
        "(the cap of group analysts)."
    )
    bob = run(cost_clients, "bob")  # in two groups: the larger cap
    assert bob["status"] == "succeeded", bob
    assert job_cap(queries_run(bq_http_proxy)[-1]) == 400 * GB
    eve = run(cost_clients, "eve")  # her own cap
    assert "(your own cap)" in eve["error"]["message"]

    cost_services.connections.update("bq", options={"maximum_bytes_billed": 250 * GB})
    set_rule(cost_services, Scope.USER, str(user_id(cost_services, "eve")))  # no cap now
    assert "(the cap of role editor)" in run(cost_clients, "eve")["error"]["message"]
    [role] = [r for r in cost_services.cost_store.rules("bq") if r.scope is Scope.ROLE]
    cost_services.cost_store.delete_rule(role.id, None)
    eve = run(cost_clients, "eve")
    assert (
        "more than the 250.0 GB allowed per query on bq (the connection's cap)."
        in (eve["error"]["message"])
    )


def test_over_the_budget_left_is_refused_saying_when_it_resets(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.USER, str(user_id(cost_services, "ann")), daily=1 * TB)
    cost_services.users.update(user_id(cost_services, "ann"), timezone="America/Los_Angeles")
    dry_runs_say(bq_http_proxy, 700 * GB)
    jobs_bill(bq_http_proxy, 700 * GB)
    first = run(cost_clients, "ann")
    assert first["status"] == "succeeded", first
    assert first["bytes_billed"] == 700 * GB
    assert job_cap(queries_run(bq_http_proxy)[0]) == 1 * TB  # min(cap, budget left)

    second = run(cost_clients, "ann")
    assert second["error"]["code"] == "budget_exceeded"
    resets = cost_services.costs.allowance(  # the window's end, in her time zone
        _actor(cost_services, "ann"),
        "bq",
        bills_bytes=True,
        connection_cap=None,
    ).budgets[0]
    assert second["error"]["message"] == (
        "This query would process 700.0 GB, more than the 324.0 GB left of your daily budget "
        f"of 1.0 TB on bq (it resets at {resets.resets}). {NO_JOB}"
    )
    assert resets.resets.startswith("00:00 on ") and resets.resets.endswith("America/Los_Angeles")
    assert len(queries_run(bq_http_proxy)) == 1


def test_a_group_budget_is_shared_by_its_members(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.GROUP, "analysts", monthly=1 * TB)
    dry_runs_say(bq_http_proxy, 600 * GB)
    jobs_bill(bq_http_proxy, 600 * GB)
    assert run(cost_clients, "ann")["status"] == "succeeded"
    bob = run(cost_clients, "bob")
    assert bob["error"]["code"] == "budget_exceeded"
    assert (
        "more than the 424.0 GB left of group analysts' monthly budget of 1.0 TB on bq"
        in (bob["error"]["message"])
    )
    assert "Europe/Paris)" in bob["error"]["message"]  # a group's month: the server's
    assert run(cost_clients, "eve")["status"] == "succeeded"  # not in the group


def test_duckdb_is_not_held_by_rules(cost_services: Services, cost_clients: MakeClient) -> None:
    cost_services.connections.add("local", "duckdb", {"path": ":memory:", "read_only": False})
    for scope, subject in [
        (Scope.ROLE, "editor"),
        (Scope.USER, str(user_id(cost_services, "ann"))),
    ]:
        cost_services.cost_store.set_rule(
            "local",
            scope,
            subject,
            max_bytes_per_query=1,
            daily_bytes=1,
            monthly_bytes=1,
            actor_id=None,
        )
    response = (
        cost_clients()
        .login("ann")
        .post(
            "/api/v1/runs",
            json={"wait_ms": 30_000, "connection": "local", "sql": "SELECT 42 AS answer"},
        )
    )
    assert response.json()["status"] == "succeeded"
    estimate = (
        cost_clients()
        .login("ann")
        .post("/api/v1/estimate", json={"connection": "local", "sql": "SELECT 1"})
        .json()
    )
    assert (estimate["supported"], estimate["applies"]) == (False, False)


def _actor(services: Services, name: str) -> Actor:
    user = services.users.by_username(name)
    assert user is not None
    return Actor.of(user)
