"""What cost governance decides with: rules, budgets, raises, and a user's allowance on one
connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from belvedere.costs.periods import Period, Window, describe_reset
from belvedere.units import human_bytes

#: Whose a cap or budget is, in words, when the query is the asker's own.
YOUR = "your"
#: Whose they are when a schedule's owner pays for the query (run as each recipient: see
#: :mod:`belvedere.store.payer`).
SCHEDULE_OWNERS = "the schedule owner's"


class Scope(StrEnum):
    """Whom a rule is for."""

    ROLE = "role"
    GROUP = "group"
    USER = "user"


@dataclass(frozen=True)
class Rule:
    """On one connection, for a role, a group or a user (``subject``: the role's name, the
    group's name, or the user's id as text): a cap per query and budgets per day and month
    (``None``: no limit from this rule)."""

    id: int
    connection: str
    scope: Scope
    subject: str
    max_bytes_per_query: int | None
    daily_bytes: int | None
    monthly_bytes: int | None
    updated_at: datetime
    updated_by: int | None

    def budget(self, period: Period) -> int | None:
        """This rule's budget for ``period``."""
        return self.daily_bytes if period is Period.DAY else self.monthly_bytes


@dataclass(frozen=True)
class Budget:
    """A budget that applies to a query: a person's own (``scope`` user or role: ``subject``
    the user's id) or a group's pooled one, in its current period."""

    scope: Scope
    subject: str
    period: Period
    limit: int
    spent: int
    window: Window
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    """Where its days start: the user's time zone, or the server's for a group."""
    whose: str = YOUR
    """Whose a person's own budget is, in words: ``your``, or ``the schedule owner's`` when
    the query is charged to them (see :mod:`belvedere.store.payer`)."""

    @property
    def left(self) -> int:
        """Bytes left in this period (never below zero)."""
        return max(self.limit - self.spent, 0)

    @property
    def percent(self) -> float:
        """How much of it is spent, in percent."""
        return 100.0 * self.spent / self.limit if self.limit else 100.0

    def describe(self) -> str:
        """``your daily budget of 1.0 TB``, ``the schedule owner's daily budget of 1.0 TB`` or
        ``group analysts' monthly budget of 5.0 TB``."""
        whose = f"group {self.subject}'" if self.scope is Scope.GROUP else self.whose
        return f"{whose} {self.period.adjective} budget of {human_bytes(self.limit)}"

    def left_text(self) -> str:
        """``2.1 TB left of your daily budget of 3.0 TB, resets at 00:00 on 8 Dec
        (Europe/Paris)``."""
        local = self.window.resets_at.astimezone(self.zone)
        when = f"{local:%H:%M} on {local.day} {local:%b}"
        left = human_bytes(self.left)
        return f"{left} left of {self.describe()}, resets at {when} ({self.zone.key})"

    @property
    def resets(self) -> str:
        """When it resets, in words: ``00:00 on 8 Dec 2026, Europe/Paris``."""
        return describe_reset(self.window.resets_at, self.zone)


@dataclass(frozen=True)
class Raise:
    """A one-off raise: one query of the user on the connection may bill up to ``max_bytes``,
    beyond their cap and budgets, until it expires; used by one run only."""

    id: int
    user_id: int
    connection: str
    max_bytes: int
    reason: str
    granted_by: int | None
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    used_by_run: str | None
    used_at: datetime | None

    def usable(self, now: datetime) -> bool:
        """Not used, not revoked and not expired at ``now``."""
        return self.used_by_run is None and self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class Allowance:
    """What one user may bill on one connection now. ``applies`` is ``False`` where nothing
    limits them (no cap, no budget, no raise, or a connection not billed by bytes): no dry
    run is needed."""

    connection: str
    applies: bool
    cap: int | None
    cap_from: str | None
    """Where the cap comes from, in words: ``your own cap``, ``group analysts``,
    ``role viewer``, ``the connection``."""
    budgets: tuple[Budget, ...] = ()
    raise_: Raise | None = None
    whose: str = YOUR
    """Whose cap and budgets they are, in words (see :attr:`Budget.whose`)."""

    @property
    def left(self) -> int | None:
        """The least left of any budget that applies (``None``: no budget)."""
        return min((b.left for b in self.budgets), default=None)

    @property
    def tightest(self) -> Budget | None:
        """The budget with the least left."""
        return min(self.budgets, key=lambda b: b.left, default=None)

    @property
    def limit(self) -> int | None:
        """The most one query may bill: the least of the cap and the budgets left."""
        limits = [v for v in (self.cap, self.left) if v is not None]
        return min(limits, default=None)
