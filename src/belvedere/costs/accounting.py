"""Accounting: bytes processed and billed by the runs, rolled up per day (in the asker's time
zone), user, group, connection, dashboard, chart and surface, with their cost in money; as
rows for the API and as CSV. Read from the runs themselves (:mod:`belvedere.store.spend`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from belvedere.store.spend import RunFilter, SpendStore, Sums, TopRun
from belvedere.store.users import Users

TIB = 1024**4
#: The longest range rolled up per day.
MAX_DAYS = 400


class Dimension(StrEnum):
    """What spend can be rolled up by."""

    DAY = "day"
    USER = "user"
    GROUP = "group"
    CONNECTION = "connection"
    DASHBOARD = "dashboard"
    CHART = "chart"
    SURFACE = "surface"


#: The columns each dimension gives a row (and the CSV), in order.
COLUMNS: dict[Dimension, tuple[str, ...]] = {
    Dimension.DAY: ("day",),
    Dimension.USER: ("user",),
    Dimension.GROUP: ("group",),
    Dimension.CONNECTION: ("connection",),
    Dimension.DASHBOARD: ("dashboard_id", "dashboard"),
    Dimension.CHART: ("chart_id", "chart"),
    Dimension.SURFACE: ("surface",),
}
MEASURES = ("runs", "bytes_processed", "bytes_billed", "cost")


class SpendInvalid(ValueError):
    """A spend request that cannot be answered; the message says why."""


def dimensions(text: str) -> tuple[Dimension, ...]:
    """``day,user`` as dimensions, in the order given (:class:`SpendInvalid` on others)."""
    found: list[Dimension] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            dimension = Dimension(part)
        except ValueError:
            known = ", ".join(d.value for d in Dimension)
            raise SpendInvalid(f"Cannot roll spend up by {part!r}: use {known}.") from None
        if dimension not in found:
            found.append(dimension)
    return tuple(found)


@dataclass(frozen=True)
class Price:
    """What one TiB billed costs."""

    per_tib: float
    currency: str

    def of(self, bytes_billed: int) -> float:
        """The cost of ``bytes_billed``, to a millionth of the currency."""
        return round(bytes_billed / TIB * self.per_tib, 6)


@dataclass(frozen=True)
class SpendRequest:
    """Spend of the runs submitted in ``[since, until)``, of one user and one connection if
    given, rolled up ``by``; days are those of ``zone``."""

    since: datetime
    until: datetime
    by: tuple[Dimension, ...]
    zone: ZoneInfo
    user_id: int | None = None
    connection: str | None = None

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise SpendInvalid("`until` must be after `since`.")
        if Dimension.DAY in self.by and self.until - self.since > timedelta(days=MAX_DAYS):
            raise SpendInvalid(f"Spend is rolled up by day over at most {MAX_DAYS} days.")

    @property
    def runs(self) -> RunFilter:
        return RunFilter(self.since, self.until, self.user_id, self.connection)


@dataclass(frozen=True)
class SpendRow:
    """One combination of the dimensions, and what its runs add up to."""

    keys: Mapping[str, Any]
    runs: int
    bytes_processed: int
    bytes_billed: int
    cost: float

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.keys,
            "runs": self.runs,
            "bytes_processed": self.bytes_processed,
            "bytes_billed": self.bytes_billed,
            "cost": self.cost,
        }


@dataclass(frozen=True)
class Spend:
    """The rows, and the total of every matching run (a run counts once in the total, also
    when its user is in several groups)."""

    rows: list[SpendRow]
    total: SpendRow
    columns: tuple[str, ...] = field(default=())


def days(since: datetime, until: datetime, zone: ZoneInfo) -> list[tuple[datetime, str]]:
    """Each local day of ``zone`` that ``[since, until)`` touches: its end (UTC) and label."""
    found = []
    day = since.astimezone(zone).date()
    while True:
        end = _midnight(day + timedelta(days=1), zone)
        found.append((end, day.isoformat()))
        if end >= until:
            return found
        day += timedelta(days=1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


class Accounting:
    """Spend rolled up from the runs (blocking)."""

    def __init__(
        self, store: SpendStore, groups_of: Callable[[], Mapping[int, Sequence[str]]], price: Price
    ) -> None:
        """``groups_of``: each user's current groups (by user id)."""
        self._store = store
        self._groups_of = groups_of
        self.price = price

    def spend(self, request: SpendRequest) -> Spend:
        """The rows of ``request``, sorted by day (if rolled up by day) then most billed."""
        asked = [d.value for d in request.by if d is not Dimension.GROUP]
        if Dimension.GROUP in request.by and Dimension.USER.value not in asked:
            asked.append(Dimension.USER.value)
        span = days(request.since, request.until, request.zone) if "day" in asked else []
        found = self._store.rollup(request.runs, asked, span)
        if Dimension.GROUP in request.by:
            found = self._by_group(found, Dimension.USER in request.by)
        columns = tuple(c for d in request.by for c in COLUMNS[d])
        rows = [self._row({c: keys.get(c) for c in columns}, sums) for keys, sums in found]
        rows.sort(key=lambda r: (str(r.keys.get("day") or ""), -r.bytes_billed, -r.runs))
        total = self._row({}, self._store.total(request.runs))
        return Spend(rows, total, columns)

    def top(self, where: RunFilter, limit: int) -> list[TopRun]:
        """The runs that billed the most."""
        return self._store.top(where, limit)

    def _row(self, keys: Mapping[str, Any], sums: Sums) -> SpendRow:
        return SpendRow(
            keys,
            sums.runs,
            sums.bytes_processed,
            sums.bytes_billed,
            self.price.of(sums.bytes_billed),
        )

    def _by_group(
        self, found: Iterable[tuple[dict[str, Any], Sums]], keep_user: bool
    ) -> list[tuple[dict[str, Any], Sums]]:
        """Rows per user made rows per group (of the users' current groups; ``None``: in no
        group); a user in several groups counts in each."""
        groups = self._groups_of()
        merged: dict[tuple[tuple[str, Any], ...], Sums] = {}
        for keys, sums in found:
            user_id = keys.get("user_id")
            for group in (groups.get(user_id, ()) if user_id is not None else ()) or (None,):
                values = {**keys, "group": group}
                if not keep_user:
                    values.pop("user", None)
                values.pop("user_id", None)
                key = tuple(sorted(values.items(), key=lambda kv: kv[0]))
                before = merged.get(key)
                merged[key] = sums if before is None else _added(before, sums)
        return [(dict(key), sums) for key, sums in merged.items()]

    def csv(self, spend: Spend) -> bytes:
        """The rows as CSV: the dimensions' columns, then runs, bytes and cost."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*spend.columns, *MEASURES])
        for row in spend.rows:
            values = row.as_dict()
            writer.writerow(
                ["" if values[c] is None else values[c] for c in spend.columns]
                + [
                    row.runs,
                    row.bytes_processed,
                    row.bytes_billed,
                    f"{row.cost:.6f}",
                ]
            )
        return out.getvalue().encode()


def groups_by_user(users: Users) -> dict[int, list[str]]:
    """Every user's current groups (blocking)."""
    return {u.id: list(u.groups or ()) for u in users.list()}


def _added(a: Sums, b: Sums) -> Sums:
    return replace(
        a,
        runs=a.runs + b.runs,
        bytes_processed=a.bytes_processed + b.bytes_processed,
        bytes_billed=a.bytes_billed + b.bytes_billed,
    )
