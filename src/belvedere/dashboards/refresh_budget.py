"""The arithmetic of an auto-refresh interval: how often each chart of a dashboard runs in a
day (a refresh inside a chart's cache TTL reuses its last result and runs nothing), times what
its dry run says it processes, against the budget left of whoever sets the interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from belvedere.units import human_bytes

DAY_SECONDS = 86_400
#: Intervals suggested instead of one refused, in seconds.
SUGGESTED_INTERVALS = (60, 300, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400)


@dataclass(frozen=True)
class ChartCost:
    """One chart of a dashboard: its name, its cache TTL and what one run processes."""

    name: str
    cache_ttl_seconds: float
    bytes: int


@dataclass(frozen=True)
class Limit:
    """What is left on one connection, and of which budget (``your daily budget of 1.0 TB``)."""

    connection: str
    left: int
    budget: str


def runs_a_day(refresh_seconds: int, cache_ttl_seconds: float) -> int:
    """How many times a chart runs in a day of refreshes every ``refresh_seconds``: the first
    refresh at or after its cache TTL runs it again, the ones before reuse its result."""
    refreshes_per_run = max(1, math.ceil(cache_ttl_seconds / refresh_seconds))
    return math.ceil(DAY_SECONDS / (refresh_seconds * refreshes_per_run))


def bytes_a_day(refresh_seconds: int, charts: Sequence[ChartCost]) -> int:
    """What the charts process in a day of refreshes every ``refresh_seconds``."""
    return sum(runs_a_day(refresh_seconds, c.cache_ttl_seconds) * c.bytes for c in charts)


def every(seconds: float) -> str:
    """An interval in words: ``every minute``, ``every 5 minutes``, ``every 2 hours``."""
    return "every " + _span(seconds, singular=True)


def _span(seconds: float, *, singular: bool = False) -> str:
    """``5 minutes``, ``1 hour`` (``hour`` when ``singular``), ``90 seconds``."""
    whole = int(seconds)
    for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if whole >= size and whole % size == 0:
            count = whole // size
            if count == 1:
                return unit if singular else f"1 {unit}"
            return f"{count} {unit}s"
    return f"{seconds:g} seconds"


def _line(refresh_seconds: int, chart: ChartCost) -> str:
    """``Sales: 288 runs a day (cache 5 minutes) of 1.2 GB each, 345.6 GB``."""
    runs = runs_a_day(refresh_seconds, chart.cache_ttl_seconds)
    cache = f"cache {_span(chart.cache_ttl_seconds)}" if chart.cache_ttl_seconds else "no cache"
    return (
        f"{chart.name}: {runs:,} runs a day ({cache}) of {human_bytes(chart.bytes)} each, "
        f"{human_bytes(runs * chart.bytes)}"
    )


def refusal(
    refresh_seconds: int, charts: Sequence[ChartCost], limit: Limit, fits: int | None
) -> str:
    """Why an interval is refused, with the arithmetic, and the shortest one that fits."""
    total = bytes_a_day(refresh_seconds, charts)
    costly = [c for c in charts if c.bytes > 0]
    lines = "; ".join(_line(refresh_seconds, c) for c in costly)
    advice = (
        f"Refreshing {every(fits)} fits, or give the charts a longer cache."
        if fits is not None
        else "Even once a day would not fit: turn auto-refresh off."
    )
    return (
        f"Refreshing {every(refresh_seconds)} would process about {human_bytes(total)} a day "
        f"on {limit.connection}, more than the {human_bytes(limit.left)} left of "
        f"{limit.budget}. {lines}. {advice}"
    )


def shortest_fit(
    refresh_seconds: int, costs: Sequence[tuple[Sequence[ChartCost], Limit]]
) -> int | None:
    """The shortest suggested interval longer than ``refresh_seconds`` within every limit."""
    for seconds in SUGGESTED_INTERVALS:
        if seconds > refresh_seconds and all(
            bytes_a_day(seconds, charts) <= limit.left for charts, limit in costs
        ):
            return seconds
    return None
