"""Budget alerts: a budget at 80% and at 100% of its period is told once (whichever server
sweeps first), by e-mail to whose budget it is (a group's: its members) and to the admins,
and in the app while its period lasts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from belvedere.auth.roles import Role
from belvedere.costs.alerts import BudgetAlerts
from belvedere.costs.model import Scope
from belvedere.schedules.delivery.email import SmtpSender
from belvedere.services import Services
from belvedere.settings import Settings
from belvedere.store.budget_notices import BudgetNotices, Notice
from belvedere.store.models import User
from tests.costs.ledger import ran
from tests.support.delivery import Received, mail_server
from tests.support.web.client import PASSWORD, app_clients

GB, TB = 1024**3, 1024**4
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)
RESETS = "it resets at 00:00 on 8 Dec 2026, Europe/Paris."


@pytest.fixture
def mail() -> Iterator[tuple[int, list[Received]]]:
    with mail_server() as found:
        yield found


@pytest.fixture
def svc(
    make_settings: Callable[..., Settings], mail: tuple[int, list[Received]]
) -> Iterator[Services]:
    """Services (server in Paris) that e-mail ``mail``; ann and bob (analysts) and cat are
    viewers, ann, bob and the admin have addresses; alerts swept as of :data:`NOW`."""
    settings = make_settings(timezone="Europe/Paris", smtp_url=f"smtp://127.0.0.1:{mail[0]}")
    services = Services(settings)
    services.first_start()
    admin = services.users.by_username("admin")
    assert admin is not None
    services.users.update(admin.id, email="admin@example.com")
    for name, email, groups in [
        ("ann", "ann@example.com", ["analysts"]),
        ("bob", "bob@example.com", ["analysts"]),
        ("cat", None, []),
    ]:
        user = services.users.create(name, Role.VIEWER, PASSWORD, email=email)
        services.users.update(user.id, groups=groups)
    services.budget_alerts = clocked(services)
    yield services
    services.close()


def clocked(services: Services) -> BudgetAlerts:
    """A server's alerts, sweeping as of :data:`NOW`."""
    return BudgetAlerts(
        services.budgets,
        services.costs,
        BudgetNotices(services.db),
        services.users,
        SmtpSender.from_settings(services.settings),
        "http://belvedere.test/spend",
        clock=lambda: NOW,
    )


def rule(services: Services, scope: Scope, subject: str, **limits: int) -> None:
    services.cost_store.set_rule(
        "bq",
        scope,
        subject,
        max_bytes_per_query=None,
        daily_bytes=limits.get("daily"),
        monthly_bytes=limits.get("monthly"),
        actor_id=None,
    )


def told(mail: tuple[int, list[Received]]) -> list[tuple[str, str]]:
    """(recipient, subject) of the e-mails received so far, then forgotten."""
    found = sorted((r.recipients[0], str(r.message["Subject"])) for r in mail[1])
    mail[1].clear()
    return found


def body(received: Received) -> str:
    part = received.message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def test_a_persons_budget_is_told_at_80_and_at_100_percent_once(
    svc: Services, mail: tuple[int, list[Received]]
) -> None:
    rule(svc, Scope.ROLE, "viewer", daily=100 * GB)
    ran(svc, "ann", 85 * GB, EARLIER)
    ran(svc, "cat", 10 * GB, EARLIER)
    assert svc.budget_alerts.sweep() == 1
    ann_mail = next(r for r in mail[1] if r.recipients == ["ann@example.com"])
    assert f"Your daily budget of 100.0 GB on bq is at 80% (85.0 GB billed); {RESETS}" in body(
        ann_mail
    )
    assert told(mail) == [
        ("admin@example.com", "Budget alert: ann's daily budget on bq is at 80%"),
        ("ann@example.com", "Budget alert: your daily budget on bq is at 80%"),
    ]
    assert svc.budget_alerts.sweep() == 0  # told once
    assert clocked(svc).sweep() == 0  # by whichever server: another one tells nothing
    assert told(mail) == []

    ran(svc, "ann", 20 * GB, EARLIER)
    assert svc.budget_alerts.sweep() == 1
    assert told(mail) == [
        ("admin@example.com", "Budget alert: ann's daily budget on bq is at 100%"),
        ("ann@example.com", "Budget alert: your daily budget on bq is at 100%"),
    ]


def test_a_groups_budget_is_told_to_its_members_and_the_admins(
    svc: Services, mail: tuple[int, list[Received]]
) -> None:
    rule(svc, Scope.GROUP, "analysts", monthly=TB)
    ran(svc, "ann", 500 * GB, EARLIER)
    ran(svc, "bob", 400 * GB, EARLIER - timedelta(days=5))
    assert svc.budget_alerts.sweep() == 1
    subject = "Budget alert: group analysts' monthly budget on bq is at 80%"
    assert told(mail) == [
        ("admin@example.com", subject),
        ("ann@example.com", subject),
        ("bob@example.com", subject),
    ]


def test_the_app_shows_the_notices_of_current_periods(svc: Services) -> None:
    rule(svc, Scope.ROLE, "viewer", daily=100 * GB)
    rule(svc, Scope.GROUP, "analysts", monthly=TB)
    ran(svc, "ann", 105 * GB, EARLIER)
    ran(svc, "bob", 800 * GB, EARLIER)
    svc.budget_alerts.sweep()
    bob = svc.users.by_username("bob")
    assert bob is not None
    BudgetNotices(svc.db).claim(  # yesterday's: over
        Notice("bq", "user", str(bob.id), "day", "2026-12-06", 100, 9 * TB, TB)
    )
    with app_clients(svc) as make:
        ann = make().login("ann").get("/api/v1/me/budget-notices").json()
        bobs = make().login("bob").get("/api/v1/me/budget-notices").json()
        admins = make().login().get("/api/v1/me/budget-notices").json()
    assert sorted((n["who"], n["level"]) for n in ann) == [
        ("ann", 80),
        ("ann", 100),
        ("group analysts", 80),
    ]
    mine = next(n for n in ann if n["who"] == "ann" and n["level"] == 100)
    assert mine["message"] == (
        f"Your daily budget of 100.0 GB on bq is used up (105.0 GB billed); {RESETS}"
    )
    assert sorted((n["who"], n["level"]) for n in bobs) == [  # not yesterday's
        ("bob", 80),
        ("bob", 100),
        ("group analysts", 80),
    ]
    assert sorted((n["who"], n["level"]) for n in admins) == sorted(
        [(n["who"], n["level"]) for n in ann] + [("bob", 80), ("bob", 100)]
    )


def test_the_notices_read_only_the_accounts_they_name(svc: Services) -> None:
    rule(svc, Scope.ROLE, "viewer", daily=100 * GB)
    rule(svc, Scope.GROUP, "analysts", monthly=200 * GB)
    ran(svc, "ann", 85 * GB, EARLIER)
    ran(svc, "bob", 90 * GB, EARLIER)
    svc.budget_alerts.sweep()
    asked: list[set[int]] = []
    names = svc.users.names

    def every_account() -> list[User]:
        raise AssertionError("every account read to name a few")

    def named(user_ids: Collection[int]) -> dict[int, str]:
        asked.append(set(user_ids))
        return names(user_ids)

    svc.users.list = every_account  # type: ignore[method-assign]
    svc.users.names = named  # type: ignore[method-assign]
    admin, ann, bob = (svc.users.by_username(name) for name in ("admin", "ann", "bob"))
    assert admin is not None and ann is not None and bob is not None
    told = svc.budget_alerts.current(admin, everyone=True)
    assert sorted((t.who, t.notice.level) for t in told) == [
        ("ann", 80),
        ("bob", 80),
        ("group analysts", 80),
    ]
    assert asked == [{ann.id, bob.id}]
