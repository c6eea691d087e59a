"""Where budgets stand now (blocking): for one user, every budget that holds their queries;
for admins (and the alert sweep), every budget of every rule: each person's own (of a user
rule; of a role rule, those who spent this period) and each group's pooled one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from belvedere.costs.model import Budget, Rule, Scope
from belvedere.costs.periods import Period, window
from belvedere.costs.policy import CostPolicy
from belvedere.execution.runs import Actor
from belvedere.store.spend import SpendStore
from belvedere.store.users import Users
from belvedere.units import human_bytes

#: Runs this far back may fall in a current month, in any time zone.
MONTH_BACK = timedelta(days=32)


@dataclass(frozen=True)
class Standing:
    """One budget on one connection, and whose it is."""

    connection: str
    budget: Budget
    user_id: int | None
    """The person whose own budget it is; ``None`` for a group's."""
    who: str
    """``alice``, or ``group analysts``."""
    source: str
    """The rule it comes from: ``own rule``, ``role viewer``, ``group analysts``."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Whose budget, once: (connection, ``user``|``group``, subject, period)."""
        scope = "group" if self.budget.scope is Scope.GROUP else "user"
        return (self.connection, scope, self.budget.subject, self.budget.period.value)

    def describe(self, viewer_id: int | None = None) -> str:
        """``your daily budget of 1.0 TB``, ``alice's daily budget of 1.0 TB``, ``group
        analysts' monthly budget of 5.0 TB``."""
        if self.budget.scope is Scope.GROUP or self.user_id == viewer_id:
            return self.budget.describe()
        of = f"{self.budget.period.adjective} budget of {human_bytes(self.budget.limit)}"
        return f"{self.who}'s {of}"


def _budget_rules(rules: Iterable[Rule]) -> list[Rule]:
    return [r for r in rules if r.daily_bytes is not None or r.monthly_bytes is not None]


class Standings:
    """Budgets as they stand, from the cost policy's own resolution."""

    def __init__(self, policy: CostPolicy, users: Users, spend: SpendStore) -> None:
        self._policy = policy
        self._users = users
        self._spend = spend

    def of_user(self, actor: Actor, now: datetime) -> list[Standing]:
        """Every budget that holds ``actor``'s queries, most spent first."""
        rules = _budget_rules(self._policy.store.rules())
        found: list[Standing] = []
        for connection in sorted({r.connection for r in rules}):
            found += self._of(actor, connection, rules, now, groups=True)
        return _sorted(found)

    def everyone(self, now: datetime) -> list[Standing]:
        """Every budget of every rule, most spent first: each user rule's person, each
        person of a role rule who spent on its connection this period, each group."""
        rules = _budget_rules(self._policy.store.rules())
        found: dict[tuple[str, str, str, str], Standing] = {}
        for connection in sorted({r.connection for r in rules}):
            here = [r for r in rules if r.connection == connection]
            owners = {int(r.subject) for r in here if r.scope is Scope.USER}
            roles = {r.subject for r in here if r.scope is Scope.ROLE}
            people = set(owners)
            if roles:
                people |= set(self._spend.spenders(connection, now - MONTH_BACK))
            for user_id in sorted(people):
                user = self._users.get(user_id)
                if user is None or not user.is_active:
                    continue
                own = user_id in owners
                if not own and user.role not in roles:
                    continue
                for standing in self._of(Actor.of(user), connection, here, now, groups=False):
                    if own or standing.budget.spent > 0:  # a role's: those who spent
                        found.setdefault(standing.key, standing)
            for rule in here:
                if rule.scope is Scope.GROUP:
                    for standing in self._pooled(rule, now):
                        found.setdefault(standing.key, standing)
        return _sorted(found.values())

    def _of(
        self, actor: Actor, connection: str, rules: list[Rule], now: datetime, *, groups: bool
    ) -> list[Standing]:
        """The budgets of ``actor`` on ``connection`` (personal, and their groups' if
        ``groups``)."""
        allowance = self._policy.allowance(
            actor, connection, bills_bytes=True, connection_cap=None, now=now
        )
        own = next(
            (
                r
                for r in rules
                if r.connection == connection
                and r.scope is Scope.USER
                and r.subject == str(actor.user_id)
            ),
            None,
        )
        found = []
        for budget in allowance.budgets:
            if budget.scope is Scope.GROUP:
                if groups:
                    label = f"group {budget.subject}"
                    found.append(Standing(connection, budget, None, label, label))
                continue
            mine = own is not None and own.budget(budget.period) is not None
            source = "own rule" if mine else f"role {actor.role}"
            found.append(Standing(connection, budget, actor.user_id, actor.name, source))
        return found

    def _pooled(self, rule: Rule, now: datetime) -> list[Standing]:
        """A group's pooled budgets (in the server's time zone), as the policy counts them."""
        zone = self._policy.server_zone
        members = self._policy.store.users_in_group(rule.subject)
        label = f"group {rule.subject}"
        found = []
        for period in Period:
            limit = rule.budget(period)
            if limit is None:
                continue
            span = window(period, zone, now)
            spent = self._policy.store.spent(rule.connection, members, span.start)
            budget = Budget(Scope.GROUP, rule.subject, period, limit, spent, span, zone)
            found.append(Standing(rule.connection, budget, None, label, label))
        return found


def _sorted(found: Iterable[Standing]) -> list[Standing]:
    return sorted(
        found, key=lambda s: (-s.budget.percent, s.connection, s.who, s.budget.period.value)
    )
