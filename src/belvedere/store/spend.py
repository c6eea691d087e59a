"""Spend read from the runs themselves (blocking): bytes processed and billed, summed with
GROUP BY over ``query_runs``, so it is kept and purged exactly as the audit log is; and the
runs that billed the most."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, Subquery, case, func, select

from belvedere.store.db import Database
from belvedere.store.models import Chart, Dashboard, QueryRun
from belvedere.store.payer import PAYER
from belvedere.store.spend_runs import spend_runs

#: Keys the rollup groups by (``group`` is made from ``user`` by :mod:`belvedere.costs.accounting`).
KEYS = ("day", "user", "connection", "dashboard", "chart", "surface")
#: Characters of a run's SQL shown among the top runs.
SQL_SNIPPET = 300


@dataclass(frozen=True)
class RunFilter:
    """Runs submitted in ``[since, until)`` (UTC), charged to one user and on one connection
    if given."""

    since: datetime
    until: datetime
    user_id: int | None = None
    connection: str | None = None


@dataclass(frozen=True)
class Sums:
    """What some runs add up to."""

    runs: int
    bytes_processed: int
    bytes_billed: int


@dataclass(frozen=True)
class TopRun:
    """One run among those that billed the most."""

    run_id: str
    user: str
    connection: str
    surface: str
    chart_id: int | None
    chart: str | None
    dashboard_id: int | None
    dashboard: str | None
    submitted_at: datetime
    status: str
    bytes_processed: int | None
    bytes_billed: int | None
    sql: str


Row = TypeVarTuple("Row")


def _runs(where: RunFilter) -> Subquery:
    """The runs that count as spend (see :mod:`belvedere.store.spend_runs`), of ``where``'s
    payer if given."""
    return spend_runs(where.user_id)


def _filtered(query: Select[*Row], runs: Subquery, where: RunFilter) -> Select[*Row]:
    query = query.where(runs.c.submitted_at >= where.since, runs.c.submitted_at < where.until)
    if where.connection is not None:
        query = query.where(runs.c.connection == where.connection)
    return query


def day_of(
    submitted_at: ColumnElement[Any], days: Sequence[tuple[datetime, str]]
) -> ColumnElement[Any]:
    """The label of the day a run was ``submitted_at``: ``days`` are each day's end (UTC) and
    label, in order, covering the filter's range (a CASE: the same on every database)."""
    whens = [(submitted_at < end, label) for end, label in days[:-1] or days]
    return case(*whens, else_=days[-1][1])


def _summed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(func.coalesce(column, 0)), 0)


class SpendStore:
    """Spend over the runs of the metadata store."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def total(self, where: RunFilter) -> Sums:
        """What the matching runs add up to."""
        runs = _runs(where)
        sums = select(func.count(), _summed(runs.c.bytes_processed), _summed(runs.c.bytes_billed))
        query = _filtered(sums.select_from(runs), runs, where)
        with self._db.session() as s:
            count, processed, billed = s.execute(query).one()
        return Sums(int(count), int(processed), int(billed))

    def rollup(
        self, where: RunFilter, by: Sequence[str], days: Sequence[tuple[datetime, str]] = ()
    ) -> list[tuple[dict[str, Any], Sums]]:
        """The matching runs summed per combination of ``by`` (of :data:`KEYS`); ``days`` (see
        :func:`day_of`) when ``day`` is among them. Each key's values: ``day`` its label,
        ``user`` the name and ``user_id``, ``dashboard``/``chart`` the id and title."""
        runs = _runs(where)
        columns: list[ColumnElement[Any]] = []
        if "day" in by:
            columns.append(day_of(runs.c.submitted_at, days).label("day"))
        if "user" in by:
            columns += [runs.c.user_id, runs.c.user]
        if "connection" in by:
            columns.append(runs.c.connection)
        if "dashboard" in by:
            columns += [runs.c.dashboard_id, Dashboard.title.label("dashboard")]
        if "chart" in by:
            columns += [runs.c.chart_id, Chart.name.label("chart")]
        if "surface" in by:
            columns.append(runs.c.surface)
        # Each run's keys first, then grouped by them: an expression with parameters (the
        # days) is not the same expression twice to PostgreSQL, a subquery's column is.
        each = select(*columns, runs.c.bytes_processed, runs.c.bytes_billed).select_from(runs)
        per_run = _filtered(_joined(each, runs, by), runs, where).subquery()
        keys = [per_run.c[c.name] for c in columns]
        query = select(
            *keys,
            func.count(),
            _summed(per_run.c.bytes_processed),
            _summed(per_run.c.bytes_billed),
        ).group_by(*keys)
        found = []
        with self._db.session() as s:
            for row in s.execute(query):
                *values, count, processed, billed = row
                named = {k.name: v for k, v in zip(keys, values, strict=True)}
                found.append((named, Sums(int(count), int(processed), int(billed))))
        return found

    def top(self, where: RunFilter, limit: int) -> list[TopRun]:
        """The matching runs that billed the most, most first (then the newest)."""
        runs = _runs(where)
        query = select(runs, Chart.name.label("chart"), Dashboard.title.label("dashboard"))
        query = _filtered(
            _joined(query.select_from(runs), runs, ("chart", "dashboard")), runs, where
        )
        query = query.where(runs.c.bytes_billed > 0)
        query = query.order_by(runs.c.bytes_billed.desc(), runs.c.submitted_at.desc())
        with self._db.session() as s:
            rows = s.execute(query.limit(limit)).mappings().all()
        return [
            TopRun(
                run_id=row["run_id"],
                user=row["user"],
                connection=row["connection"],
                surface=row["surface"],
                chart_id=row["chart_id"],
                chart=row["chart"],
                dashboard_id=row["dashboard_id"],
                dashboard=row["dashboard"],
                submitted_at=row["submitted_at"],
                status=row["status"],
                bytes_processed=row["bytes_processed"],
                bytes_billed=row["bytes_billed"],
                sql=row["sql"][:SQL_SNIPPET],
            )
            for row in rows
        ]

    def spenders(self, connection: str, since: datetime) -> list[int]:
        """The users charged for a query on ``connection`` since ``since`` (whose budgets
        may have something spent)."""
        query = (
            select(PAYER)
            .where(
                QueryRun.connection_name == connection,
                QueryRun.submitted_at >= since,
                PAYER.is_not(None),
            )
            .distinct()
        )
        with self._db.session() as s:
            return [user_id for user_id in s.scalars(query) if user_id is not None]


def _joined(query: Select[*Row], runs: Subquery, by: Sequence[str]) -> Select[*Row]:
    if "dashboard" in by:
        query = query.outerjoin(Dashboard, Dashboard.id == runs.c.dashboard_id)
    if "chart" in by:
        query = query.outerjoin(Chart, Chart.id == runs.c.chart_id)
    return query
