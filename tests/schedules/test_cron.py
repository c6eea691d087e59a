"""When schedules fire: five cron fields read in the schedule's time zone, ticks missed while
nothing ran coalesced into one, and bad expressions refused in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from belvedere.schedules.cron import (
    ScheduleInvalid,
    latest_due,
    next_after,
    validate_cron,
    validate_timezone,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    "expression", ["0 8 * * 1", "*/15 9-17 * * mon-fri", "@daily", " 5 4 * * * "]
)
def test_valid_expressions_pass(expression: str) -> None:
    validate_cron(expression)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 8 * *", "five fields (minute hour day-of-month month day-of-week)"),
        ("0 8 * * * *", "has 6"),
        ("", "has 0"),
        (
            "61 * * * *",
            "Invalid cron expression '61 * * * *': its minute field '61' is not valid (values 0-59).",
        ),
        ("0 8 * * funday", "its day-of-week field 'funday' is not valid (values 0-7 or sun-sat)"),
        ("0 8 * 13 *", "its month field '13' is not valid"),
        ("0 0 30 2 *", "never fires"),
    ],
)
def test_invalid_expressions_are_refused_in_words(expression: str, words: str) -> None:
    with pytest.raises(ScheduleInvalid) as refused:
        validate_cron(expression)
    assert refused.value.field == "cron"
    assert words in refused.value.message
    assert "Traceback" not in refused.value.message


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "/etc/localtime", " UTC"]
)
def test_unknown_time_zones_are_refused(name: str) -> None:
    with pytest.raises(ScheduleInvalid) as refused:
        validate_timezone(name)
    assert refused.value.field == "timezone"
    assert "IANA" in refused.value.message


def test_next_run_is_at_the_local_hour_in_winter_and_summer() -> None:
    # 08:00 in Paris is 07:00 UTC in winter (CET) and 06:00 UTC in summer (CEST)
    assert next_after("0 8 * * *", "Europe/Paris", utc(2026, 1, 15, 12)) == utc(2026, 1, 16, 7)
    assert next_after("0 8 * * *", "Europe/Paris", utc(2026, 7, 15, 12)) == utc(2026, 7, 16, 6)
    assert next_after("0 8 * * *", "UTC", utc(2026, 7, 15, 12)) == utc(2026, 7, 16, 8)
    # across the spring change (29 March 2026): the day before in CET, that day in CEST
    assert next_after("0 8 * * *", "Europe/Paris", utc(2026, 3, 28, 0)) == utc(2026, 3, 28, 7)
    assert next_after("0 8 * * *", "Europe/Paris", utc(2026, 3, 28, 8)) == utc(2026, 3, 29, 6)


def test_next_run_is_strictly_after_and_in_utc() -> None:
    fired = next_after("0 * * * *", "Asia/Kolkata", utc(2026, 5, 1, 10, 30))
    assert fired == utc(2026, 5, 1, 11, 30)  # Kolkata is UTC+05:30: its hours fall on :30
    assert fired.utcoffset() == timedelta(0)
    assert next_after("0 * * * *", "Asia/Kolkata", fired) == fired + timedelta(hours=1)


def test_a_day_of_missed_hourly_ticks_is_due_once_the_latest() -> None:
    since = utc(2026, 1, 1, 0, 0)  # the last run
    now = utc(2026, 1, 2, 0, 30)  # back after a day down
    assert latest_due("0 * * * *", "UTC", since, now) == utc(2026, 1, 2, 0, 0)


def test_latest_due_is_in_since_exclusive_to_now_inclusive() -> None:
    assert latest_due("0 * * * *", "UTC", utc(2026, 1, 1, 9, 0), utc(2026, 1, 1, 9, 59)) is None
    assert latest_due("0 * * * *", "UTC", utc(2026, 1, 1, 9, 0), utc(2026, 1, 1, 10, 0)) == utc(
        2026, 1, 1, 10, 0
    )
    paris = latest_due("0 8 * * *", "Europe/Paris", utc(2026, 1, 10), utc(2026, 1, 20, 6, 59))
    assert paris == utc(2026, 1, 19, 7)


def test_set_hours_fire_once_when_clocks_go_back_and_hourly_stays_hourly() -> None:
    # 25 October 2026: Paris goes from 03:00 CEST back to 02:00 CET, so 02:30 happens twice
    night = utc(2026, 10, 24, 23, 50)
    fired = [next_after("30 2 * * *", "Europe/Paris", night)]
    fired.append(next_after("30 2 * * *", "Europe/Paris", fired[0]))
    assert fired == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    hourly = [next_after("0 * * * *", "Europe/Paris", night)]
    for _ in range(3):
        hourly.append(next_after("0 * * * *", "Europe/Paris", hourly[-1]))
    assert hourly == [utc(2026, 10, 25, h) for h in range(4)]
