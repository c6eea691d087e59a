"""Alerts: the metric of a result, its condition, and when to tell anyone (pure functions).

An alert notifies when its condition becomes true; while it stays true, again only after its
re-notify interval (never without one); and once with a recovery notice when it becomes false.
``changed`` is an event: each change notifies, and there is nothing to recover from. The state
is that of whom the result is for: each recipient's own when the schedule runs as each
recipient (their rows differ), one for everyone when it runs as its owner
(:mod:`belvedere.store.alert_states`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from belvedere.schedules.model import AlertRule, AlertState, Condition

ROW_CONDITIONS = frozenset({Condition.NO_ROWS, Condition.ANY_ROWS})


@dataclass(frozen=True)
class Decision:
    """What one evaluation found: whether to notify, or to tell of a recovery, and why."""

    notify: bool
    recovered: bool
    state: AlertState
    summary: str
    """In words, e.g. "revenue is above 1,000 (1,234)."."""


def number(value: Any) -> float | None:
    """A cell as a number (decimals come as text), or ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            found = float(value)
        except ValueError:
            return None
        return found if math.isfinite(found) else None
    return None


def metric_column(rows: Sequence[Sequence[Any]], columns: Sequence[str], rule: AlertRule) -> int:
    """The index of the metric's column: the rule's, else the first numeric one (-1: none)."""
    if rule.column is not None:
        return columns.index(rule.column) if rule.column in columns else -1
    first = rows[0] if rows else ()
    return next((i for i, value in enumerate(first) if number(value) is not None), -1)


def metric(rows: Sequence[Sequence[Any]], columns: Sequence[str], rule: AlertRule) -> float | None:
    """The metric: the first row's value in the metric column (``None``: no rows, no such
    column, or not a number)."""
    index = metric_column(rows, columns, rule)
    if not rows or index < 0:
        return None
    return number(rows[0][index])


def shown(value: float | None) -> str:
    """A number as people read it: 1,234 or 0.5."""
    return "no value" if value is None else format(value, ",.6g")


def _holds(rule: AlertRule, value: float | None, row_count: int) -> bool:
    match rule.condition:
        case Condition.NO_ROWS:
            return row_count == 0
        case Condition.ANY_ROWS:
            return row_count > 0
    if value is None or rule.value is None:
        return False
    match rule.condition:
        case Condition.ABOVE:
            return value > rule.value
        case Condition.BELOW:
            return value < rule.value
        case _:
            return math.isclose(value, rule.value, rel_tol=1e-9, abs_tol=1e-12)


def describe(rule: AlertRule, name: str, value: float | None, row_count: int, true: bool) -> str:
    """The condition in words, as it now stands."""
    if rule.condition is Condition.NO_ROWS:
        return "The query returned no rows." if true else f"The query returned {row_count:,} rows."
    if rule.condition is Condition.ANY_ROWS:
        return f"The query returned {row_count:,} rows." if true else "The query returned no rows."
    words = {Condition.ABOVE: "above", Condition.BELOW: "below", Condition.EQUAL: "equal to"}
    relation = words.get(rule.condition, "")
    now = "is" if true else "is no longer"
    return f"{name} {now} {relation} {shown(rule.value)} ({shown(value)})."


def evaluate(
    rule: AlertRule,
    rows: Sequence[Sequence[Any]],
    columns: Sequence[str],
    state: AlertState,
    now: datetime,
) -> Decision:
    """Evaluate the rule on a result, given the last state; the new state to save."""
    value = metric(rows, columns, rule)
    index = metric_column(rows, columns, rule)
    name = rule.column or (columns[index] if index >= 0 else "The metric")
    if rule.condition is Condition.CHANGED:
        changed = state.last_value is not None and value is not None and value != state.last_value
        summary = (
            f"{name} changed from {shown(state.last_value)} to {shown(value)}."
            if changed
            else f"{name} is {shown(value)}."
        )
        kept = value if value is not None else state.last_value
        notified_at = now if changed else state.notified_at
        return Decision(changed, False, AlertState(changed, kept, notified_at), summary)
    true = _holds(rule, value, len(rows))
    summary = describe(rule, name, value, len(rows), true)
    if true and not state.true:
        return Decision(True, False, AlertState(True, value, now), summary)
    if true:
        due = _renotify_due(rule, state, now)
        notified_at = now if due else state.notified_at
        return Decision(due, False, AlertState(True, value, notified_at), summary)
    return Decision(False, state.true, AlertState(False, value, None), summary)


def _renotify_due(rule: AlertRule, state: AlertState, now: datetime) -> bool:
    """Whether an alert that stayed true is due to notify again."""
    if rule.renotify_minutes is None or state.notified_at is None:
        return False
    return now - state.notified_at >= timedelta(minutes=rule.renotify_minutes)
