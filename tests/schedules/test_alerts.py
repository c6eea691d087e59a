"""Alerts notify when their condition becomes true, again only after a re-notify interval
while it stays true, and once when it recovers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from belvedere.schedules.alerts import Decision, evaluate, metric
from belvedere.schedules.model import AlertRule, AlertState, Condition

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COLUMNS = ["region", "revenue"]


def revenue(value: Any) -> list[list[Any]]:
    return [["north", value]]


def run_through(
    rule: AlertRule, results: Sequence[list[list[Any]]], every: timedelta
) -> list[Decision]:
    """Evaluate ``rule`` on each result in turn, ``every`` apart, carrying the state."""
    state, decisions = AlertState(), []
    for i, rows in enumerate(results):
        decision = evaluate(rule, rows, COLUMNS, state, START + i * every)
        decisions.append(decision)
        state = decision.state
    return decisions


def told(decisions: Sequence[Decision]) -> list[str]:
    """What each evaluation sent: a notice, a recovery notice, or nothing."""
    return ["notify" if d.notify else "recovered" if d.recovered else "-" for d in decisions]


def test_false_true_true_false_notifies_once_then_tells_of_the_recovery() -> None:
    rule = AlertRule(Condition.ABOVE, column="revenue", value=1000)
    decisions = run_through(
        rule, [revenue(900), revenue(1234), revenue(1500), revenue(800)], timedelta(hours=1)
    )
    assert told(decisions) == ["-", "notify", "-", "recovered"]
    assert decisions[1].summary == "revenue is above 1,000 (1,234)."
    assert decisions[3].summary == "revenue is no longer above 1,000 (800)."


def test_a_renotify_interval_notifies_a_third_time_while_true() -> None:
    rule = AlertRule(Condition.ABOVE, column="revenue", value=1000, renotify_minutes=60)
    results = [revenue(900), revenue(1234), revenue(1500), revenue(800)]
    decisions = run_through(rule, results, timedelta(hours=1))
    assert told(decisions) == ["-", "notify", "notify", "recovered"]


def test_renotify_waits_for_its_interval() -> None:
    rule = AlertRule(Condition.ABOVE, column="revenue", value=1000, renotify_minutes=90)
    results = [revenue(1234), revenue(1300), revenue(1400), revenue(1500)]
    decisions = run_through(rule, results, timedelta(hours=1))
    # 09:00 notifies; 10:00 is 60 min after it (not yet); 11:00 is 120 min after (again)
    assert told(decisions) == ["notify", "-", "notify", "-"]


@pytest.mark.parametrize(
    ("condition", "value", "rows", "true"),
    [
        (Condition.BELOW, 10, revenue(9.5), True),
        (Condition.BELOW, 10, revenue(10), False),
        (Condition.EQUAL, 10, revenue("10.000"), True),  # decimals arrive as text
        (Condition.EQUAL, 10, revenue(11), False),
        (Condition.ABOVE, 10, [], False),  # no rows: no metric, not true
        (Condition.NO_ROWS, None, [], True),
        (Condition.NO_ROWS, None, revenue(1), False),
        (Condition.ANY_ROWS, None, revenue(1), True),
        (Condition.ANY_ROWS, None, [], False),
    ],
)
def test_conditions(
    condition: Condition, value: float | None, rows: list[list[Any]], true: bool
) -> None:
    decision = evaluate(AlertRule(condition, value=value), rows, COLUMNS, AlertState(), START)
    assert (decision.notify, decision.state.true) == (true, true)


def test_changed_notifies_on_each_change_and_never_recovers() -> None:
    rule = AlertRule(Condition.CHANGED)
    results = [revenue(5), revenue(5), revenue(7), revenue(7), revenue(5)]
    decisions = run_through(rule, results, timedelta(minutes=5))
    assert told(decisions) == ["-", "-", "notify", "-", "notify"]
    assert decisions[2].summary == "revenue changed from 5 to 7."


def test_the_metric_is_the_first_numeric_column_unless_named() -> None:
    rows = [["north", "n/a", 3, 4.5]]
    columns = ["region", "note", "orders", "revenue"]
    assert metric(rows, columns, AlertRule(Condition.ABOVE, value=1)) == 3
    assert metric(rows, columns, AlertRule(Condition.ABOVE, column="revenue", value=1)) == 4.5
    assert metric(rows, columns, AlertRule(Condition.ABOVE, column="missing", value=1)) is None
