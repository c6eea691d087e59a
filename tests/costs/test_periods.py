"""Budget periods: a day or a month from the local midnight of a time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from belvedere.costs.periods import Period, describe_reset, window, zone_of


def test_a_day_starts_at_the_local_midnight() -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # 23:00 on the 7th in Auckland (+13)
    day = window(Period.DAY, ZoneInfo("Pacific/Auckland"), now)
    assert day.label == "2026-12-07"
    assert day.start == datetime(2026, 12, 6, 11, 0, tzinfo=UTC)
    assert day.resets_at == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    la = window(Period.DAY, ZoneInfo("America/Los_Angeles"), now)  # 02:00 on the 7th (-8)
    assert (la.label, la.start) == ("2026-12-07", datetime(2026, 12, 7, 8, 0, tzinfo=UTC))


def test_a_month_runs_to_the_first_of_the_next() -> None:
    now = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)  # already 1 Jan 2027 in Auckland
    assert window(Period.MONTH, ZoneInfo("Pacific/Auckland"), now).label == "2027-01"
    paris = window(Period.MONTH, ZoneInfo("Europe/Paris"), now)
    assert paris.label == "2026-12"
    assert paris.start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert paris.resets_at == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)


def test_days_across_a_change_of_clocks_are_23_or_25_hours() -> None:
    spring = window(Period.DAY, ZoneInfo("Europe/Paris"), datetime(2026, 3, 29, 12, tzinfo=UTC))
    assert (spring.resets_at - spring.start).total_seconds() == 23 * 3600


def test_resets_in_words_and_unknown_zones() -> None:
    paris = ZoneInfo("Europe/Paris")
    resets = window(Period.DAY, paris, datetime(2026, 12, 7, 12, tzinfo=UTC)).resets_at
    assert describe_reset(resets, paris) == "00:00 on 8 Dec 2026, Europe/Paris"
    assert zone_of(None, "Europe/Paris").key == "Europe/Paris"
    assert zone_of("Nowhere/Atlantis", "Asia/Tokyo").key == "Asia/Tokyo"
    assert zone_of("", "").key == "UTC"
