"""Bodies of the cost API: spend, top runs, budgets, rules, one-off raises, budget notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from belvedere.costs.accounting import SpendRow
from belvedere.costs.alerts import Told
from belvedere.costs.model import Raise, Rule, Scope
from belvedere.costs.periods import describe_reset
from belvedere.costs.rules_admin import DEFAULT_RAISE_HOURS, MAX_RAISE_HOURS
from belvedere.costs.standing import Standing
from belvedere.store.spend import TopRun
from belvedere.web.api.schemas import Patch

Bytes = int


class SpendRowOut(BaseModel):
    """One row of spend: the dimensions asked for (the others are left out), and the sums."""

    day: str | None = Field(default=None, description="`2026-12-07`, in the asker's time zone.")
    user: str | None = Field(
        default=None,
        description="Who pays: the run's user, or the owner of a schedule run as each "
        "recipient (a command-line operator's run: `cli:<account>`).",
    )
    group: str | None = Field(
        default=None,
        description="A group of the run's user (their current groups; null: in none). A user "
        "in several groups counts in each; the total counts each run once.",
    )
    connection: str | None = None
    dashboard_id: int | None = None
    dashboard: str | None = Field(default=None, description="Its title (null once deleted).")
    chart_id: int | None = None
    chart: str | None = Field(default=None, description="Its name (null once deleted).")
    surface: str | None = Field(
        default=None,
        description="`sqllab`, `api`, `cli`, `chart`, `dashboard`, `schedule`, `probe` (the "
        "chart builder's column probes: only those that billed).",
    )
    runs: int
    bytes_processed: Bytes
    bytes_billed: Bytes
    cost: float = Field(description="Bytes billed at `price_per_tib`, in `currency`.")

    @classmethod
    def of(cls, row: SpendRow) -> SpendRowOut:
        return cls(**row.as_dict())


class SpendOut(BaseModel):
    rows: list[SpendRowOut]
    total: SpendRowOut = Field(description="Every matching run, once.")
    since: datetime
    until: datetime
    by: list[str]
    timezone: str = Field(description="Whose days `day` is in: the asker's time zone.")
    currency: str
    price_per_tib: float


class TopRunOut(BaseModel):
    run_id: str
    user: str = Field(description="Who pays (the owner of a schedule run as each recipient).")
    connection: str
    surface: str
    chart_id: int | None
    chart: str | None
    dashboard_id: int | None
    dashboard: str | None
    submitted_at: datetime
    status: str
    bytes_processed: Bytes | None
    bytes_billed: Bytes | None
    cost: float
    sql: str = Field(description="The start of its SQL.")

    @classmethod
    def of(cls, run: TopRun, cost: float) -> TopRunOut:
        return cls(**{**run.__dict__, "cost": cost})


class BudgetOut(BaseModel):
    """A budget as it stands in its current period."""

    connection: str
    scope: Literal["user", "group"] = Field(
        description="`user`: a person's own budget (from their rule, or their role's: each "
        "person has that budget of their own); `group`: a group's pooled budget."
    )
    user_id: int | None
    user: str | None = Field(description="Whose own budget it is (null for a group's).")
    group: str | None
    source: str = Field(description="The rule: `own rule`, `role viewer`, `group analysts`.")
    period: Literal["day", "month"]
    period_start: str = Field(description="`2026-12-07` or `2026-12`.")
    limit: Bytes
    spent: Bytes = Field(
        description="Bytes billed this period, plus the estimates of queries still running."
    )
    left: Bytes
    percent: float
    resets_at: datetime
    resets: str = Field(description="When it resets, in words (in its time zone).")
    timezone: str
    text: str = Field(description="`your daily budget of 1.0 TB`, `alice's daily budget ...`.")

    @classmethod
    def of(cls, standing: Standing, viewer_id: int) -> BudgetOut:
        budget = standing.budget
        group = budget.subject if budget.scope is Scope.GROUP else None
        return cls(
            connection=standing.connection,
            scope="group" if group is not None else "user",
            user_id=standing.user_id,
            user=standing.who if group is None else None,
            group=group,
            source=standing.source,
            period=budget.period.value,
            period_start=budget.window.label,
            limit=budget.limit,
            spent=budget.spent,
            left=budget.left,
            percent=round(budget.percent, 1),
            resets_at=budget.window.resets_at,
            resets=describe_reset(budget.window.resets_at, budget.zone),
            timezone=budget.zone.key,
            text=standing.describe(viewer_id),
        )


class Limits(BaseModel):
    max_bytes_per_query: Bytes | None = Field(
        default=None, ge=1, description="Cap on what one query may bill; null: none."
    )
    daily_bytes: Bytes | None = Field(
        default=None, ge=1, description="Budget of bytes billed per day; null: none."
    )
    monthly_bytes: Bytes | None = Field(
        default=None, ge=1, description="Budget of bytes billed per month; null: none."
    )


class RuleIn(Limits):
    connection: str = Field(min_length=1, max_length=100)
    scope: Scope
    subject: str = Field(
        min_length=1,
        max_length=300,
        description="A role (`admin`, `editor`, `viewer`), a group's name, or a username.",
    )


class RulePatch(Patch):
    nullable = frozenset({"max_bytes_per_query", "daily_bytes", "monthly_bytes"})

    max_bytes_per_query: Bytes | None = Field(default=None, ge=1)
    daily_bytes: Bytes | None = Field(default=None, ge=1)
    monthly_bytes: Bytes | None = Field(default=None, ge=1)


class RuleOut(Limits):
    id: int
    connection: str
    scope: Scope
    subject: str = Field(description="The role, the group, or the user's username.")
    user_id: int | None = Field(description="For a user's rule.")
    who: str = Field(description="`role viewer`, `group analysts`, `user alice`.")
    updated_at: datetime
    updated_by: str | None

    @classmethod
    def of(cls, rule: Rule, names: dict[int, str]) -> RuleOut:
        user_id = int(rule.subject) if rule.scope is Scope.USER else None
        subject = names.get(user_id, f"#{user_id}") if user_id is not None else rule.subject
        return cls(
            id=rule.id,
            connection=rule.connection,
            scope=rule.scope,
            subject=subject,
            user_id=user_id,
            who=f"{rule.scope.value} {subject}",
            max_bytes_per_query=rule.max_bytes_per_query,
            daily_bytes=rule.daily_bytes,
            monthly_bytes=rule.monthly_bytes,
            updated_at=rule.updated_at,
            updated_by=names.get(rule.updated_by) if rule.updated_by is not None else None,
        )


class CostConnectionOut(BaseModel):
    name: str
    kind: str
    bills_bytes: bool = Field(description="Whether caps, budgets and raises apply to it.")
    cap: Bytes | None = Field(description="The connection's own cap (`maximum_bytes_billed`).")
    note: str | None = Field(description="`not billed by bytes: ...` where they do not apply.")


class RaiseIn(BaseModel):
    user: str = Field(min_length=1, max_length=150, description="The username.")
    connection: str = Field(min_length=1, max_length=100)
    max_bytes: Bytes = Field(ge=1, description="What the one query may bill at most.")
    reason: str = Field(min_length=1, max_length=2000)
    expires_in_hours: float = Field(
        default=DEFAULT_RAISE_HOURS,
        gt=0,
        le=MAX_RAISE_HOURS,
        description=f"Unused, it lapses after this (default {DEFAULT_RAISE_HOURS}, at most "
        f"{MAX_RAISE_HOURS}).",
    )


class RaiseOut(BaseModel):
    id: int
    user_id: int
    user: str | None
    connection: str
    max_bytes: Bytes
    reason: str
    granted_by: str | None
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    used_by_run: str | None
    used_at: datetime | None
    state: Literal["usable", "used", "revoked", "expired"]

    @classmethod
    def of(cls, found: Raise, names: dict[int, str], now: datetime) -> RaiseOut:
        state: Literal["usable", "used", "revoked", "expired"] = "usable"
        if found.used_by_run is not None:
            state = "used"
        elif found.revoked_at is not None:
            state = "revoked"
        elif found.expires_at <= now:
            state = "expired"
        return cls(
            **{k: v for k, v in found.__dict__.items() if k != "granted_by"},
            user=names.get(found.user_id),
            granted_by=names.get(found.granted_by) if found.granted_by is not None else None,
            state=state,
        )


class NoticeOut(BaseModel):
    id: int | None
    connection: str
    scope: Literal["user", "group"]
    who: str = Field(description="`alice` or `group analysts`.")
    period: Literal["day", "month"]
    period_start: str
    level: int = Field(description="80 or 100 (percent).")
    spent: Bytes
    budget: Bytes
    at: datetime | None
    resets_at: datetime
    message: str

    @classmethod
    def of(cls, told: Told) -> NoticeOut:
        n = told.notice
        fields: dict[str, Any] = {
            "id": n.id,
            "connection": n.connection,
            "scope": n.scope,
            "period": n.period,
            "period_start": n.period_start,
            "level": n.level,
            "spent": n.spent,
            "budget": n.budget,
            "at": n.at,
        }
        return cls(**fields, who=told.who, resets_at=told.resets_at, message=told.message)
