"""Audit events: changes worth auditing, beside the runs. Each says who (a user, or Belvedere
itself) did what (a small set of actions) to which object, when, with details as JSON; the
audit page and the API tell them in words (:func:`summary`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from belvedere.units import human_bytes


class AuditAction(StrEnum):
    """What happened."""

    SCHEDULE_CREATED = "schedule_created"
    SCHEDULE_CHANGED = "schedule_changed"
    SCHEDULE_DELETED = "schedule_deleted"
    SCHEDULE_PAUSED = "schedule_paused"
    SCHEDULE_RESUMED = "schedule_resumed"
    CONFIRMATION_GIVEN = "confirmation_given"
    """The owner confirmed that recipients outside Belvedere see the owner's rows."""
    CONFIRMATION_WITHDRAWN = "confirmation_withdrawn"
    COST_RULE_SET = "cost_rule_set"
    """A cap or budget of a connection set or changed (details: the values before and after)."""
    COST_RULE_DELETED = "cost_rule_deleted"
    COST_RAISE_GRANTED = "cost_raise_granted"
    """An admin granted a user a one-off raise (details: bytes, reason, expiry)."""
    COST_RAISE_REVOKED = "cost_raise_revoked"
    COST_RAISE_USED = "cost_raise_used"
    """A run used a one-off raise (details: the run, its estimate)."""


class ObjectKind(StrEnum):
    """What it happened to."""

    SCHEDULE = "schedule"
    COST_RULE = "cost_rule"
    COST_RAISE = "cost_raise"


@dataclass(frozen=True)
class EventDraft:
    """An event to record (its time is when it is stored)."""

    action: AuditAction
    object_kind: ObjectKind
    object_id: str
    actor_id: int | None
    """``None``: Belvedere itself (e.g. a schedule paused because a grant was revoked)."""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventRecord:
    """A recorded event, with its actor's username (``None``: Belvedere itself)."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str | None
    action: str
    object_kind: str
    object_id: str
    details: Mapping[str, Any]


@dataclass(frozen=True)
class EventFilter:
    """Which events to read; every field narrows (``None``: any)."""

    actor: str | None = None
    """A username."""
    action: AuditAction | None = None
    object_kind: ObjectKind | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _quoted(details: Mapping[str, Any]) -> str:
    name = details.get("name")
    return f"“{name}”" if name else ""


def _changes(changed: Mapping[str, Any]) -> str:
    parts = []
    for name, values in changed.items():
        label = name.replace("_", " ")
        if isinstance(values, list) and len(values) == 2:
            parts.append(f"{label} from {_value(values[0])} to {_value(values[1])}")
        elif isinstance(values, Mapping):
            moved = "; ".join(f"{k} {_value(v)}" for k, v in values.items() if v)
            parts.append(f"{label} ({moved})" if moved else label)
        else:
            parts.append(label)
    return ", ".join(parts)


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


#: The limits of a cost rule, in words.
COST_LIMITS = {
    "max_bytes_per_query": "cap per query",
    "daily_bytes": "daily budget",
    "monthly_bytes": "monthly budget",
}


def _bytes(value: Any) -> str:
    return human_bytes(value) if isinstance(value, int) and value >= 0 else "none"


def _limits(changed: Mapping[str, Any]) -> str:
    parts = []
    for name, label in COST_LIMITS.items():
        values = changed.get(name)
        if isinstance(values, list) and len(values) == 2:
            parts.append(f"{label} from {_bytes(values[0])} to {_bytes(values[1])}")
        elif name in changed and not isinstance(values, list):
            parts.append(f"{label} {_bytes(values)}")
    return ", ".join(parts) or "no limits"


def _cost_summary(event: EventRecord) -> str | None:
    """The words of a cost-governance event (details: :mod:`belvedere.costs.rules_admin`)."""
    d = event.details
    where, who = d.get("connection", "?"), d.get("who", "?")
    raised = f"{d.get('user', '?')}'s one-off raise to {_bytes(d.get('max_bytes'))} on {where}"
    match event.action:
        case AuditAction.COST_RULE_SET:
            return f"Set the cost rule of {who} on {where}: {_limits(d.get('changed') or {})}."
        case AuditAction.COST_RULE_DELETED:
            limits = _limits(d.get("limits") or {})
            return f"Deleted the cost rule of {who} on {where} ({limits})."
        case AuditAction.COST_RAISE_GRANTED:
            return (
                f"Granted {d.get('user', '?')} a one-off raise to {_bytes(d.get('max_bytes'))} on "
                f"{where} until {d.get('expires_at', '?')}: {d.get('reason', '')}"
            )
        case AuditAction.COST_RAISE_REVOKED:
            return f"Revoked {raised}."
        case AuditAction.COST_RAISE_USED:
            estimate = d.get("estimate")
            of = f" (it would process {_bytes(estimate)})" if isinstance(estimate, int) else ""
            which = raised if "user" in d else f"one-off raise {event.object_id} on {where}"
            return f"Run {d.get('run_id', '?')} used {which}{of}."
    return None


def summary(event: EventRecord) -> str:
    """The event in words, e.g. "Changed schedule “Monday”: cron from 0 8 * * 1 to 0 9 * * 1"."""
    cost = _cost_summary(event)
    if cost is not None:
        return cost
    d = event.details
    what = f"{event.object_kind.replace('_', ' ')} {_quoted(d) or event.object_id}"
    match event.action:
        case AuditAction.SCHEDULE_CREATED:
            audience = _value(d.get("recipients") or d.get("webhook"))
            alert = f"; alert when {d['alert']}" if d.get("alert") else ""
            return (
                f"Created {what}: {d.get('target', '?')} to {audience}, "
                f"run as {d.get('run_as')}{alert}."
            )
        case AuditAction.SCHEDULE_CHANGED:
            return f"Changed {what}: {_changes(d.get('changed') or {})}."
        case AuditAction.SCHEDULE_DELETED:
            return f"Deleted {what}."
        case AuditAction.SCHEDULE_PAUSED:
            reason = d.get("reason")
            return f"Paused {what}" + (f": {reason}" if reason else ".")
        case AuditAction.SCHEDULE_RESUMED:
            return f"Resumed {what}."
        case AuditAction.CONFIRMATION_GIVEN:
            audience = _value(d.get("recipients") or d.get("webhook"))
            return f"Confirmed that the recipients of {what} see the owner's rows ({audience})."
        case AuditAction.CONFIRMATION_WITHDRAWN:
            return f"Withdrew the confirmation that the recipients of {what} see the owner's rows."
    return f"{event.action.replace('_', ' ').capitalize()}: {what}."
