"""Spend read from the runs themselves (blocking): bytes processed and billed, summed with
GROUP BY over ``query_runs``, so it is kept and purged exactly as the audit log is; and the
runs that billed the most."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import aliased

from belvedere.store.db import Database
from belvedere.store.models import Chart, Dashboard, QueryRun, User
from belvedere.store.payer import PAYER, paid_by
from belvedere.warehouses.internal.spend import INTERNAL_CONNECTION

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


_BILLED = func.coalesce(func.sum(func.coalesce(QueryRun.bytes_billed, 0)), 0)
_PROCESSED = func.coalesce(func.sum(func.coalesce(QueryRun.bytes_processed, 0)), 0)
_USER_ROW = aliased(User)
#: Who a run counts for: its payer's current name (see :mod:`belvedere.store.payer`), else
#: what it recorded (the CLI's operator).
_WHO = func.coalesce(_USER_ROW.username, QueryRun.actor)


Row = TypeVarTuple("Row")


def _filtered(query: Select[*Row], where: RunFilter) -> Select[*Row]:
    query = query.where(QueryRun.submitted_at >= where.since, QueryRun.submitted_at < where.until)
    # Reading one's spend (the Spend page's charts) is not spending.
    query = query.where(QueryRun.connection_name != INTERNAL_CONNECTION)
    if where.user_id is not None:
        query = query.where(paid_by([where.user_id]))
    if where.connection is not None:
        query = query.where(QueryRun.connection_name == where.connection)
    return query


def day_of(days: Sequence[tuple[datetime, str]]) -> ColumnElement[Any]:
    """The label of the day a run was submitted in: ``days`` are each day's end (UTC) and
    label, in order, covering the filter's range (a CASE: the same on every database)."""
    whens = [(QueryRun.submitted_at < end, label) for end, label in days[:-1] or days]
    return case(*whens, else_=days[-1][1])


class SpendStore:
    """Spend over the runs of the metadata store."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def total(self, where: RunFilter) -> Sums:
        """What the matching runs add up to."""
        query = _filtered(select(func.count(), _PROCESSED, _BILLED).select_from(QueryRun), where)
        with self._db.session() as s:
            runs, processed, billed = s.execute(query).one()
        return Sums(int(runs), int(processed), int(billed))

    def rollup(
        self, where: RunFilter, by: Sequence[str], days: Sequence[tuple[datetime, str]] = ()
    ) -> list[tuple[dict[str, Any], Sums]]:
        """The matching runs summed per combination of ``by`` (of :data:`KEYS`); ``days`` (see
        :func:`day_of`) when ``day`` is among them. Each key's values: ``day`` its label,
        ``user`` the name and ``user_id``, ``dashboard``/``chart`` the id and title."""
        columns: list[ColumnElement[Any]] = []
        if "day" in by:
            columns.append(day_of(days).label("day"))
        if "user" in by:
            columns += [PAYER.label("user_id"), _WHO.label("user")]
        if "connection" in by:
            columns.append(QueryRun.connection_name.label("connection"))
        if "dashboard" in by:
            columns += [
                QueryRun.dashboard_id.label("dashboard_id"),
                Dashboard.title.label("dashboard"),
            ]
        if "chart" in by:
            columns += [QueryRun.chart_id.label("chart_id"), Chart.name.label("chart")]
        if "surface" in by:
            columns.append(QueryRun.surface.label("surface"))
        # Each run's keys first, then grouped by them: an expression with parameters (the
        # days) is not the same expression twice to PostgreSQL, a subquery's column is.
        runs = select(*columns, QueryRun.bytes_processed, QueryRun.bytes_billed).select_from(
            QueryRun
        )
        per_run = _filtered(_joined(runs, by), where).subquery()
        keys = [per_run.c[c.name] for c in columns]
        query = select(
            *keys,
            func.count(),
            func.coalesce(func.sum(func.coalesce(per_run.c.bytes_processed, 0)), 0),
            func.coalesce(func.sum(func.coalesce(per_run.c.bytes_billed, 0)), 0),
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
        query = select(QueryRun, _WHO, Chart.name, Dashboard.title).select_from(QueryRun)
        query = _filtered(_joined(query, ("user", "chart", "dashboard")), where)
        query = query.where(QueryRun.bytes_billed > 0)
        query = query.order_by(QueryRun.bytes_billed.desc(), QueryRun.submitted_at.desc())
        with self._db.session() as s:
            rows = s.execute(query.limit(limit)).all()
        return [
            TopRun(
                run_id=run.id,
                user=who,
                connection=run.connection_name,
                surface=run.surface,
                chart_id=run.chart_id,
                chart=chart,
                dashboard_id=run.dashboard_id,
                dashboard=dashboard,
                submitted_at=run.submitted_at,
                status=run.status,
                bytes_processed=run.bytes_processed,
                bytes_billed=run.bytes_billed,
                sql=run.sql[:SQL_SNIPPET],
            )
            for run, who, chart, dashboard in rows
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


def _joined(query: Select[*Row], by: Sequence[str]) -> Select[*Row]:
    if "user" in by:
        query = query.outerjoin(_USER_ROW, _USER_ROW.id == PAYER)
    if "dashboard" in by:
        query = query.outerjoin(Dashboard, Dashboard.id == QueryRun.dashboard_id)
    if "chart" in by:
        query = query.outerjoin(Chart, Chart.id == QueryRun.chart_id)
    return query
