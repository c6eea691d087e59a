"""Which cap, budgets and raise hold one user's queries on one connection (blocking)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from cachetools import TTLCache

from belvedere.costs.model import YOUR, Allowance, Budget, Raise, Rule, Scope
from belvedere.costs.periods import Period, window, zone_of
from belvedere.execution.runs import Actor
from belvedere.settings import Settings
from belvedere.store.costs import CostStore, Pool
from belvedere.store.models import utcnow
from belvedere.store.users import Users

__all__ = ["CostPolicy", "pool_of"]

#: How long a connection's rules read from the store answer the next queries on it (every
#: query billed by bytes asks), and for how many connections at once. A change made in this
#: process shows at once; one made in another process, within these seconds.
RULES_TTL_SECONDS = 5.0
MAX_RULE_SETS = 1024


class CostPolicy:
    """Resolves the rules of a connection for a user: the most specific cap (user > group >
    role > the connection's own), every budget that applies with what was spent of it in its
    current period, and a usable one-off raise."""

    def __init__(self, store: CostStore, users: Users, settings: Settings) -> None:
        self.store = store
        self._users = users
        self._server_zone = zone_of(settings.timezone, "UTC")
        self.clock: Callable[[], datetime] = utcnow
        """What time it is (tests move it to the edges of periods)."""
        self._rules: TTLCache[str, tuple[int, tuple[Rule, ...]]] = TTLCache(
            MAX_RULE_SETS, RULES_TTL_SECONDS
        )
        self._lock = threading.Lock()

    @property
    def server_zone(self) -> ZoneInfo:
        """The server's time zone (groups' budgets, users without one)."""
        return self._server_zone

    def zone(self, user_id: int | None) -> ZoneInfo:
        """A user's time zone (their own, else the server's)."""
        user = self._users.get(user_id) if user_id is not None else None
        return zone_of(user.timezone if user is not None else None, self._server_zone.key)

    def rules(self, connection: str) -> tuple[Rule, ...]:
        """A connection's rules: read again every few seconds, and after a change of a rule
        made in this process (through :attr:`store`)."""
        generation = self.store.rules_generation  # before reading: a change meanwhile shows
        with self._lock:
            kept = self._rules.get(connection)
        if kept is not None and kept[0] == generation:
            return kept[1]
        rules = tuple(self.store.rules(connection))
        with self._lock:
            if self.store.rules_generation == generation:
                self._rules[connection] = (generation, rules)
        return rules

    def allowance(
        self,
        actor: Actor,
        connection: str,
        *,
        bills_bytes: bool,
        connection_cap: int | None,
        now: datetime | None = None,
        whose: str = YOUR,
    ) -> Allowance:
        """What ``actor`` may bill on ``connection`` now; ``whose``: their cap and budgets in
        words, in messages (``your``, or ``the schedule owner's`` for the :meth:`payer` of a
        query charged to another)."""
        if not bills_bytes:
            return Allowance(connection, applies=False, cap=None, cap_from=None, whose=whose)
        now = now or self.clock()
        rules = self.rules(connection)
        own = _find(rules, Scope.USER, str(actor.user_id)) if actor.user_id is not None else None
        groups = [r for g in actor.groups if (r := _find(rules, Scope.GROUP, g)) is not None]
        role = _find(rules, Scope.ROLE, actor.role)
        cap, cap_from = _cap(own, groups, role, connection_cap, whose)
        budgets: list[Budget] = []
        raise_: Raise | None = None
        if actor.user_id is not None:
            budgets += self._personal(actor.user_id, connection, own, role, now, whose)
            for rule in groups:
                budgets += self._pooled(rule, now)
        if actor.user_id is not None and (cap is not None or budgets):
            # A raise only lets a query past a cap or budget: without one, none is looked up.
            usable = self.store.raises(user_id=actor.user_id, connection=connection, usable_at=now)
            raise_ = max(usable, key=lambda r: r.max_bytes, default=None)
        applies = cap is not None or bool(budgets) or raise_ is not None
        return Allowance(connection, applies, cap, cap_from, tuple(budgets), raise_, whose)

    def payer(self, user_id: int) -> Actor | None:
        """The user a query is charged to, as its cost rules see them (role, groups; their
        time zone is read with their budgets); ``None`` unless an active user."""
        user = self._users.get(user_id)
        return Actor.of(user) if user is not None and user.is_active else None

    def _personal(
        self,
        user_id: int,
        connection: str,
        own: Rule | None,
        role: Rule | None,
        now: datetime,
        whose: str,
    ) -> list[Budget]:
        """The user's own budgets: their rule's, else their role's (each person's own)."""
        found: list[Budget] = []
        zone: ZoneInfo | None = None
        for period in Period:
            limit = own.budget(period) if own is not None else None
            if limit is None and role is not None:
                limit = role.budget(period)
            if limit is None:
                continue
            zone = zone or self.zone(user_id)
            span = window(period, zone, now)
            spent = self.store.spent(connection, [user_id], span.start)
            found.append(Budget(Scope.USER, str(user_id), period, limit, spent, span, zone, whose))
        return found

    def _pooled(self, rule: Rule, now: datetime) -> list[Budget]:
        """A group's pooled budgets, shared by its members, in the server's time zone."""
        found: list[Budget] = []
        members: list[int] | None = None
        for period in Period:
            limit = rule.budget(period)
            if limit is None:
                continue
            members = members if members is not None else self.store.users_in_group(rule.subject)
            span = window(period, self._server_zone, now)
            spent = self.store.spent(rule.connection, members, span.start)
            found.append(
                Budget(Scope.GROUP, rule.subject, period, limit, spent, span, self._server_zone)
            )
        return found

    def members(self, budget: Budget) -> tuple[int, ...]:
        """Whose runs count against ``budget``."""
        if budget.scope is Scope.GROUP:
            return tuple(self.store.users_in_group(budget.subject))
        return (int(budget.subject),)


def pool_of(budget: Budget, members: tuple[int, ...]) -> Pool:
    """The store's view of a budget, for a reservation."""
    return Pool(members, budget.window.start, budget.limit)


def _find(rules: Sequence[Rule], scope: Scope, subject: str) -> Rule | None:
    return next((r for r in rules if r.scope is scope and r.subject == subject), None)


def _cap(
    own: Rule | None,
    groups: list[Rule],
    role: Rule | None,
    connection_cap: int | None,
    whose: str,
) -> tuple[int | None, str | None]:
    """The most specific cap, and where it comes from in words (``your own cap``, ``the
    schedule owner's own cap``, ``group analysts``, ``role viewer``, ``the connection``)."""
    if own is not None and own.max_bytes_per_query is not None:
        return own.max_bytes_per_query, f"{whose} own cap"
    capped = [g for g in groups if g.max_bytes_per_query is not None]
    if capped:
        widest = max(capped, key=lambda g: g.max_bytes_per_query or 0)
        return widest.max_bytes_per_query, f"group {widest.subject}"
    if role is not None and role.max_bytes_per_query is not None:
        return role.max_bytes_per_query, f"role {role.subject}"
    if connection_cap:
        return connection_cap, "the connection"
    return None, None
