"""Which cap and budgets hold a user on a connection: the most specific rule wins for caps;
personal and group budgets all apply, each counted in its own period."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from belvedere.auth.roles import Role
from belvedere.costs.model import Rule, Scope
from belvedere.costs.periods import Period
from belvedere.execution.runs import Actor
from belvedere.services import Services
from belvedere.settings import Settings
from belvedere.store.models import QueryRun
from tests.support.web.client import PASSWORD

GB = 1024**3
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def svc(make_settings: Callable[..., Settings]) -> Iterator[Services]:
    services = Services(make_settings(timezone="Europe/Paris"))
    yield services
    services.close()


def actor(
    svc: Services, name: str, role: Role = Role.VIEWER, groups: tuple[str, ...] = ()
) -> Actor:
    user = svc.users.create(name, role, PASSWORD)
    svc.users.update(user.id, groups=list(groups))
    return Actor(user.id, name, role.value, groups=groups)


def rule(svc: Services, scope: Scope, subject: str, **limits: int | None) -> None:
    values: dict[str, int | None] = {
        "max_bytes_per_query": None,
        "daily_bytes": None,
        "monthly_bytes": None,
    }
    values.update(limits)
    svc.cost_store.set_rule("bq", scope, subject, actor_id=None, **values)  # type: ignore[arg-type]


def ran(svc: Services, who: Actor, billed: int, at: datetime, status: str = "succeeded") -> None:
    run = QueryRun(
        id=f"{who.name}{at.timestamp():.0f}{billed}",
        user_id=who.user_id,
        actor=who.name,
        connection_name="bq",
        surface="api",
        sql="SELECT 1",
        status=status,
        max_rows=10,
        truncated=False,
        submitted_at=at,
        deadline_at=at + timedelta(minutes=5),
        bytes_billed=billed if status != "running" else None,
        bytes_estimated=billed if status == "running" else None,
    )
    svc.runs.add(run)


def allowance(svc: Services, who: Actor, cap: int | None = None, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return svc.costs.allowance(who, "bq", bills_bytes=True, connection_cap=cap, now=now)


def test_the_most_specific_cap_wins(svc: Services) -> None:
    ann = actor(svc, "ann", groups=("analysts", "finance"))
    assert allowance(svc, ann).applies is False  # no rule, no connection cap: no dry run
    assert (allowance(svc, ann, 100 * GB).cap, allowance(svc, ann, 100 * GB).cap_from) == (
        100 * GB,
        "the connection",
    )
    rule(svc, Scope.ROLE, "viewer", max_bytes_per_query=10 * GB)
    assert allowance(svc, ann, 100 * GB).cap_from == "role viewer"
    rule(svc, Scope.GROUP, "analysts", max_bytes_per_query=20 * GB)
    rule(svc, Scope.GROUP, "finance", max_bytes_per_query=30 * GB)
    found = allowance(svc, ann, 100 * GB)
    assert (found.cap, found.cap_from) == (30 * GB, "group finance")  # the largest group cap
    rule(svc, Scope.USER, str(ann.user_id), max_bytes_per_query=5 * GB)
    found = allowance(svc, ann, 100 * GB)
    assert (found.cap, found.cap_from) == (5 * GB, "your own cap")


def test_budgets_personal_from_the_role_and_pooled_for_groups(svc: Services) -> None:
    ann = actor(svc, "ann", groups=("analysts",))
    bob = actor(svc, "bob", groups=("analysts",))
    rule(svc, Scope.ROLE, "viewer", daily_bytes=100 * GB)
    rule(svc, Scope.GROUP, "analysts", monthly_bytes=1000 * GB)
    ran(svc, ann, 30 * GB, NOW - timedelta(hours=1))
    ran(svc, bob, 50 * GB, NOW - timedelta(hours=2))
    ran(svc, bob, 5 * GB, NOW - timedelta(minutes=1), status="running")  # reserved
    ran(svc, ann, 70 * GB, NOW - timedelta(days=2))  # an earlier day of this month
    found = allowance(svc, ann)
    [daily, monthly] = found.budgets
    assert (daily.scope, daily.period, daily.spent, daily.left) == (
        Scope.USER,
        Period.DAY,
        30 * GB,
        70 * GB,
    )
    assert daily.describe() == "your daily budget of 100.0 GB"
    assert (monthly.scope, monthly.subject, monthly.spent) == (Scope.GROUP, "analysts", 155 * GB)
    assert monthly.describe() == "group analysts' monthly budget of 1000.0 GB"
    assert (found.left, found.limit, found.cap) == (70 * GB, 70 * GB, None)
    rule(svc, Scope.USER, str(ann.user_id), daily_bytes=40 * GB)  # their own beats the role's
    assert allowance(svc, ann).left == 10 * GB


def test_a_users_day_is_their_own(svc: Services) -> None:
    kiwi = actor(svc, "kiwi")
    svc.users.update(kiwi.user_id or 0, timezone="Pacific/Auckland")
    rule(svc, Scope.USER, str(kiwi.user_id), daily_bytes=10 * GB)
    ran(svc, kiwi, 8 * GB, datetime(2026, 12, 7, 10, 30, tzinfo=UTC))  # 23:30 in Auckland
    before = allowance(svc, kiwi, now=datetime(2026, 12, 7, 10, 59, tzinfo=UTC))
    after = allowance(svc, kiwi, now=datetime(2026, 12, 7, 11, 0, tzinfo=UTC))  # midnight there
    assert (before.left, after.left) == (2 * GB, 10 * GB)
    assert before.budgets[0].resets == "00:00 on 8 Dec 2026, Pacific/Auckland"


def test_nothing_applies_where_bytes_are_not_billed(svc: Services) -> None:
    ann = actor(svc, "ann")
    rule(svc, Scope.USER, str(ann.user_id), max_bytes_per_query=1, daily_bytes=1)
    found = svc.costs.allowance(ann, "bq", bills_bytes=False, connection_cap=None)
    assert (found.applies, found.cap, found.budgets) == (False, None, ())


def test_rules_are_read_once_a_few_seconds_and_again_after_a_change(svc: Services) -> None:
    """Every query billed by bytes asks for its connection's rules: the store is read once
    for a few seconds, and again at once after a rule changed in this process."""
    ann = actor(svc, "ann")
    reads: list[str | None] = []
    read = svc.cost_store.rules

    def counted(connection: str | None = None) -> list[Rule]:
        reads.append(connection)
        return read(connection)

    svc.cost_store.rules = counted  # type: ignore[method-assign]
    rule(svc, Scope.ROLE, "viewer", max_bytes_per_query=10 * GB)
    assert [allowance(svc, ann).cap for _ in range(3)] == [10 * GB] * 3
    assert reads == ["bq"]

    rule(svc, Scope.ROLE, "viewer", max_bytes_per_query=20 * GB)
    assert [allowance(svc, ann).cap for _ in range(2)] == [20 * GB] * 2
    assert reads == ["bq", "bq"]

    [viewer] = read("bq")
    svc.cost_store.delete_rule(viewer.id, None)
    assert allowance(svc, ann).applies is False
    assert len(reads) == 3
