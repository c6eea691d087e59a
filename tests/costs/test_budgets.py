"""Where budgets stand, nearest to their limit first: a user sees theirs (own and groups');
an admin everyone's: each person with a budget of their own, those of a role once they
spent, each group's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from belvedere.auth.roles import Role
from belvedere.costs.model import Scope
from belvedere.services import Services
from belvedere.store.models import utcnow
from tests.costs.ledger import ran
from tests.support.web.client import PASSWORD, MakeClient, app_clients

GB, TB = 1024**3, 1024**4
BUDGETS = "/api/v1/spend/budgets"


@pytest.fixture
def clients(services: Services) -> Iterator[MakeClient]:
    for name, groups in [("ann", ["analysts"]), ("bob", ["analysts"]), ("cat", [])]:
        user = services.users.create(name, Role.VIEWER, PASSWORD)
        services.users.update(user.id, groups=groups)
    ann = services.users.by_username("ann")
    assert ann is not None
    for scope, subject, daily, monthly in [
        (Scope.ROLE, "viewer", 100 * GB, None),
        (Scope.USER, str(ann.id), None, TB),
        (Scope.GROUP, "analysts", 50 * GB, None),
    ]:
        services.cost_store.set_rule(
            "bq",
            scope,
            subject,
            max_bytes_per_query=None,
            daily_bytes=daily,
            monthly_bytes=monthly,
            actor_id=None,
        )
    ran(services, "ann", 30 * GB, utcnow())
    ran(services, "bob", 45 * GB, utcnow())
    with app_clients(services) as make:
        yield make


def rows(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (b["user"] or b["group"], b["period"], b["source"], b["spent"], b["limit"], b["percent"])
        for b in found
    ]


def test_admins_see_every_budget_nearest_its_limit_first(clients: MakeClient) -> None:
    found = clients().login().get(BUDGETS).json()
    assert rows(found) == [
        ("analysts", "day", "group analysts", 75 * GB, 50 * GB, 150.0),
        ("bob", "day", "role viewer", 45 * GB, 100 * GB, 45.0),
        ("ann", "day", "role viewer", 30 * GB, 100 * GB, 30.0),
        ("ann", "month", "own rule", 30 * GB, TB, 2.9),
    ]  # cat, of role viewer, spent nothing: not listed
    assert found[1]["text"] == "bob's daily budget of 100.0 GB"
    assert found[0]["text"] == "group analysts' daily budget of 50.0 GB"
    assert found[0]["left"] == 0 and found[1]["left"] == 55 * GB
    assert found[0]["resets"].startswith("00:00 on ") and found[0]["timezone"] == "UTC"


def test_users_see_their_own_and_their_groups(clients: MakeClient) -> None:
    ann = clients().login("ann").get(BUDGETS).json()
    assert rows(ann) == [
        ("analysts", "day", "group analysts", 75 * GB, 50 * GB, 150.0),
        ("ann", "day", "role viewer", 30 * GB, 100 * GB, 30.0),
        ("ann", "month", "own rule", 30 * GB, TB, 2.9),
    ]
    assert ann[1]["text"] == "your daily budget of 100.0 GB"
    cat = clients().login("cat").get(BUDGETS).json()
    assert rows(cat) == [("cat", "day", "role viewer", 0, 100 * GB, 0.0)]
