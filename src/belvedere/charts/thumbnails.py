"""The small picture of a saved chart in the charts list: its first metric's numbers, read
from the viewer's OWN latest result of the chart since the chart last changed, while that
result is stored. Never a query, and never another user's run: a cache hit on someone else's
run records no run of the viewer's, so it is never found here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from belvedere.charts.spec import ChartSpec
from belvedere.concurrency import Lane
from belvedere.execution.runs import RunStatus
from belvedere.execution.service import ExecutionService
from belvedere.results import ResultMissing, ResultsUnavailable
from belvedere.store.charts import ChartRecord
from belvedere.store.db import Database
from belvedere.store.models import QueryRun

#: Numbers of a picture at most, and charts given one (the newest changed).
MAX_POINTS = 40
MAX_CHARTS = 60


class Thumbnails:
    """The numbers each of a user's charts' pictures draws."""

    def __init__(self, db: Database, execution: ExecutionService, io: Lane) -> None:
        self._db = db
        self._execution = execution
        self._io = io

    async def of(self, user_id: int, charts: Sequence[ChartRecord]) -> dict[int, list[float]]:
        """Chart id → its picture's numbers, for the charts with a result of ``user_id``'s
        own since their last change (the others have none: the list draws their type)."""
        wanted = sorted(charts, key=lambda c: c.updated_at, reverse=True)[:MAX_CHARTS]
        runs = await self._io.run(self._latest_runs, user_id, [c.id for c in wanted])
        out: dict[int, list[float]] = {}
        for chart in wanted:
            run = runs.get(chart.id)
            if run is None or run.finished_at is None or run.finished_at < chart.updated_at:
                continue  # never drawn by this user, or drawn before the chart changed
            numbers = await self._numbers(chart, run)
            if numbers:
                out[chart.id] = numbers
        return out

    def _latest_runs(self, user_id: int, chart_ids: list[int]) -> dict[int, QueryRun]:
        """The newest succeeded run of ``user_id``'s own of each chart."""
        if not chart_ids:
            return {}
        mine = (
            QueryRun.user_id == user_id,
            QueryRun.chart_id.in_(chart_ids),
            QueryRun.status == RunStatus.SUCCEEDED.value,
        )
        newest = (
            select(QueryRun.chart_id, func.max(QueryRun.finished_at).label("at"))
            .where(*mine)
            .group_by(QueryRun.chart_id)
            .subquery()
        )
        query = select(QueryRun).join(
            newest,
            (QueryRun.chart_id == newest.c.chart_id) & (QueryRun.finished_at == newest.c.at),
        )
        with self._db.session() as session:
            found = session.scalars(query.where(*mine)).all()
        return {run.chart_id: run for run in found if run.chart_id is not None}

    async def _numbers(self, chart: ChartRecord, run: QueryRun) -> list[float]:
        """The first metric's numbers of a run's stored result (none if it is gone)."""
        try:
            spec = ChartSpec.model_validate(chart.spec)
        except ValueError:
            return []
        if not spec.metrics:
            return []
        try:
            page = await self._execution.page(run, 0, MAX_POINTS)
        except (ResultMissing, ResultsUnavailable):
            return []
        names = page.rows.schema.names
        metric = spec.metrics[0].name
        if metric not in names:
            return []
        values: list[Any] = page.rows.column(names.index(metric)).to_pylist()
        numbers = (_number(v) for v in values)
        return [n for n in numbers if n is not None]


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
