"""The arithmetic of an auto-refresh interval: runs a day counting each chart's cache TTL."""

from __future__ import annotations

from belvedere.dashboards.refresh_budget import (
    ChartCost,
    Limit,
    bytes_a_day,
    every,
    refusal,
    runs_a_day,
    shortest_fit,
)

GB = 1024**3


def test_a_refresh_inside_the_cache_ttl_runs_nothing() -> None:
    assert runs_a_day(60, 0) == 1440  # no cache: every refresh runs
    assert runs_a_day(60, 60) == 1440
    assert runs_a_day(60, 600) == 144  # runs at the first refresh at or after the TTL
    assert runs_a_day(300, 600) == 144
    assert runs_a_day(3600, 600) == 24  # a TTL shorter than the interval changes nothing
    assert runs_a_day(300, 420) == 144  # every second refresh: 10 minutes
    assert runs_a_day(86_400, 0) == 1


def test_intervals_in_words() -> None:
    assert [every(s) for s in (60, 300, 3600, 7200, 45, 90)] == [
        "every minute",
        "every 5 minutes",
        "every hour",
        "every 2 hours",
        "every 45 seconds",
        "every 90 seconds",
    ]


def test_the_refusal_shows_the_arithmetic_and_what_fits() -> None:
    charts = [ChartCost("Sales", 900, GB), ChartCost("Free", 0, 0)]
    limit = Limit("bq", 50 * GB, "your daily budget of 50.0 GB")
    assert bytes_a_day(60, charts) == 96 * GB
    fits = shortest_fit(60, [(charts, limit)])
    assert fits == 1800
    assert refusal(60, charts, limit, fits) == (
        "Refreshing every minute would process about 96.0 GB a day on bq, more than the "
        "50.0 GB left of your daily budget of 50.0 GB. Sales: 96 runs a day (cache 15 "
        "minutes) of 1.0 GB each, 96.0 GB. Refreshing every 30 minutes fits, or give the charts a "
        "longer cache."
    )


def test_when_nothing_fits_it_says_to_turn_it_off() -> None:
    charts = [ChartCost("Huge", 0, 100 * GB)]
    limit = Limit("bq", GB, "group analysts' daily budget of 1.0 TB")
    assert shortest_fit(60, [(charts, limit)]) is None
    assert refusal(60, charts, limit, None).endswith(
        "Even once a day would not fit: turn auto-refresh off."
    )
