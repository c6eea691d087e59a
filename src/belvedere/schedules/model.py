"""The records of schedules and their deliveries, shared by the API, the ticker and the runner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TargetKind(StrEnum):
    """What a schedule sends."""

    SAVED_QUERY = "saved_query"
    CHART = "chart"
    DASHBOARD = "dashboard"


class RunAs(StrEnum):
    """Whose identity a schedule's queries run under."""

    OWNER = "owner"
    RECIPIENT = "recipient"


class Channel(StrEnum):
    """How a schedule's report is sent."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class Condition(StrEnum):
    """When an alert is true."""

    ABOVE = "above"
    BELOW = "below"
    EQUAL = "equal"
    CHANGED = "changed"
    NO_ROWS = "no_rows"
    ANY_ROWS = "any_rows"


#: Conditions that compare the metric with a threshold (``AlertRule.value`` required).
THRESHOLD_CONDITIONS = frozenset({Condition.ABOVE, Condition.BELOW, Condition.EQUAL})


class DeliveryStatus(StrEnum):
    """The outcome of one delivery attempt."""

    SENT = "sent"
    FAILED = "failed"
    RETRYING = "retrying"
    SKIPPED = "skipped"
    PRIVATE = "private"
    """Shown, never stored: a run as someone else, whose outcome its owner may not see
    (:mod:`belvedere.schedules.privacy`)."""


@dataclass(frozen=True)
class AlertRule:
    """An alert's condition on a saved query's or chart's result."""

    condition: Condition
    column: str | None = None
    """The metric column (the first numeric column if ``None``); unused for row conditions."""
    value: float | None = None
    """The threshold of above, below and equal."""
    renotify_minutes: int | None = None
    """While still true, notify again after this long (``None``: never)."""


@dataclass(frozen=True)
class AlertState:
    """What an alert's last evaluation found (for one recipient, or for everyone)."""

    true: bool = False
    last_value: float | None = None
    """The metric's last value (for ``changed``)."""
    notified_at: datetime | None = None


@dataclass(frozen=True)
class ScheduleRecord:
    """A schedule as stored (its webhook secret apart: see ``Schedules.webhook_secret``)."""

    id: int
    owner_id: int
    name: str
    target_kind: TargetKind
    target_id: int
    cron: str
    timezone: str
    channel: Channel
    recipients: tuple[str, ...]
    """E-mail addresses (e-mail channel); empty for a webhook."""
    webhook_url: str | None
    run_as: RunAs
    active: bool
    recipients_see_owner_data: bool
    """The owner confirmed "recipients will see what I see" (recorded: who and when)."""
    alert: AlertRule | None
    """``None``: a report. Its state, per recipient: ``Schedules.alerts``."""
    next_run_at: datetime | None
    """UTC."""
    last_run_at: datetime | None
    last_status: DeliveryStatus | None
    paused_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DeliveryRecord:
    """One attempt to deliver a schedule's report to one recipient (or its webhook)."""

    id: int
    schedule_id: int
    due_at: datetime | None
    """The tick it answers; ``None`` for "send now"."""
    started_at: datetime
    finished_at: datetime | None
    status: DeliveryStatus
    attempt: int
    recipient: str | None
    """The address or URL this row is about."""
    message: str | None
    """What went wrong, in the server's words; or why it was skipped."""
    run_ids: tuple[str, ...]
