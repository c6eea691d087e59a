"""The periods budgets are counted in: a day or a month, in a time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Period(StrEnum):
    """How long a budget lasts before it starts again."""

    DAY = "day"
    MONTH = "month"

    @property
    def adjective(self) -> str:
        """``daily`` or ``monthly``."""
        return "daily" if self is Period.DAY else "monthly"


@dataclass(frozen=True)
class Window:
    """One period: when it started and when it resets (both UTC), and its label
    (``2026-12-07`` for a day, ``2026-12`` for a month)."""

    start: datetime
    resets_at: datetime
    label: str


def window(period: Period, zone: ZoneInfo, now: datetime) -> Window:
    """The period of ``now`` (aware) in ``zone``: from its local midnight to the next."""
    local = now.astimezone(zone)
    if period is Period.DAY:
        first = local.date()
        following = first + timedelta(days=1)
        label = first.isoformat()
    else:
        first = local.date().replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        label = first.strftime("%Y-%m")
    return Window(_midnight(first, zone), _midnight(following, zone), label)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC (a day starting in a gap starts when
    the gap ends)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def zone_of(name: str | None, default: str) -> ZoneInfo:
    """The time zone ``name`` (an IANA name), else ``default``, else UTC."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def describe_reset(resets_at: datetime, zone: ZoneInfo) -> str:
    """When a budget resets, in words: ``00:00 on 8 Dec 2026, Europe/Paris``."""
    local = resets_at.astimezone(zone)
    return f"{local:%H:%M} on {local.day} {local:%b %Y}, {zone.key}"
