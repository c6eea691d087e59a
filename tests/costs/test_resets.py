"""Budgets start again at the user's midnight and on the first of their month, in their own
time zone: a user in Auckland and one in Los Angeles, with the clock moved to the edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from belvedere.costs.model import Scope
from belvedere.services import Services
from belvedere.store.models import QueryRun
from tests.costs.bq import GB, dry_runs_say, jobs_bill, set_rule, user_id
from tests.support.faults import HttpProxy
from tests.support.web.client import MakeClient


def billed_before(services: Services, name: str, billed: int, at: datetime) -> None:
    """A run of ``name`` on ``bq`` submitted at ``at`` that billed ``billed`` bytes."""
    services.runs.add(
        QueryRun(
            id=f"{name}-{at:%Y%m%d%H%M}",
            user_id=user_id(services, name),
            actor=name,
            connection_name="bq",
            surface="api",
            sql="SELECT 1",
            status="succeeded",
            max_rows=10,
            truncated=False,
            submitted_at=at,
            deadline_at=at + timedelta(minutes=5),
            bytes_billed=billed,
        )
    )


def outcome(clients: MakeClient, name: str) -> str:
    body = (
        clients()
        .login(name)
        .post("/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 1"})
    )
    found = body.json()
    return str(found.get("status") or found["error"]["code"])


def test_days_reset_at_each_users_own_midnight(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    for name, zone in [("ann", "Pacific/Auckland"), ("bob", "America/Los_Angeles")]:
        cost_services.users.update(user_id(cost_services, name), timezone=zone)
        set_rule(cost_services, Scope.USER, str(user_id(cost_services, name)), daily=10 * GB)
    # Within the history kept (a year), far from today. 23:30 on 14 Jun 2026 in Auckland (+12)
    # is 11:30 UTC; 23:30 in Los Angeles (-7) is 06:30 UTC the next day.
    billed_before(cost_services, "ann", 8 * GB, datetime(2026, 6, 14, 11, 30, tzinfo=UTC))
    billed_before(cost_services, "bob", 8 * GB, datetime(2026, 6, 15, 6, 30, tzinfo=UTC))
    dry_runs_say(bq_http_proxy, 5 * GB)
    jobs_bill(bq_http_proxy, 0)
    clock = cost_services.costs

    clock.clock = lambda: datetime(2026, 6, 14, 11, 59, tzinfo=UTC)  # 23:59 in Auckland
    assert outcome(cost_clients, "ann") == "budget_exceeded"
    clock.clock = lambda: datetime(2026, 6, 14, 12, 0, tzinfo=UTC)  # her midnight
    assert outcome(cost_clients, "ann") == "succeeded"

    clock.clock = lambda: datetime(2026, 6, 15, 6, 59, 59, tzinfo=UTC)  # 23:59:59 in LA
    assert outcome(cost_clients, "bob") == "budget_exceeded"
    clock.clock = lambda: datetime(2026, 6, 15, 7, 0, tzinfo=UTC)
    assert outcome(cost_clients, "bob") == "succeeded"


def test_months_reset_on_the_first_in_the_users_time_zone(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    ann = user_id(cost_services, "ann")
    cost_services.users.update(ann, timezone="Pacific/Auckland")
    set_rule(cost_services, Scope.USER, str(ann), monthly=10 * GB)
    billed_before(cost_services, "ann", 8 * GB, datetime(2026, 6, 29, 12, 0, tzinfo=UTC))
    dry_runs_say(bq_http_proxy, 5 * GB)
    jobs_bill(bq_http_proxy, 0)
    # 1 Jul 2026 00:00 in Auckland (+12) is 30 Jun 12:00 UTC: June there until then.
    cost_services.costs.clock = lambda: datetime(2026, 6, 30, 11, 59, tzinfo=UTC)
    response = (
        cost_clients()
        .login("ann")
        .post("/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 1"})
    )
    assert response.json()["error"]["message"] == (
        "This query would process 5.0 GB, more than the 2.0 GB left of your monthly budget of "
        "10.0 GB on bq (it resets at 00:00 on 1 Jul 2026, Pacific/Auckland). No job was "
        "started. An admin can grant a one-off raise."
    )
    cost_services.costs.clock = lambda: datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    assert outcome(cost_clients, "ann") == "succeeded"
