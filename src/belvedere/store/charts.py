"""Saved charts: private to their owner; others reach them only through a shared dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from belvedere.store.db import Database
from belvedere.store.models import Chart

CHANGEABLE = (
    "name",
    "connection_name",
    "spec",
    "source_columns",
    "cache_ttl_seconds",
    "show_sql_to_viewers",
    "viewers_may_drill",
)


@dataclass(frozen=True)
class ChartRecord:
    """A saved chart as stored: its spec is JSON, validated by the chart service."""

    id: int
    owner_id: int
    name: str
    connection_name: str
    spec: dict[str, Any]
    source_columns: tuple[str, ...]
    """The columns of its source when it was saved (which dashboard filters apply to it)."""
    cache_ttl_seconds: int | None
    show_sql_to_viewers: bool
    created_at: datetime
    updated_at: datetime
    viewers_may_drill: bool = False
    """Whether those who see it on a shared dashboard may drill to its rows whatever else
    holds (see :mod:`belvedere.dashboards.drill_access`)."""


def _record(chart: Chart) -> ChartRecord:
    return ChartRecord(
        id=chart.id,
        owner_id=chart.owner_id,
        name=chart.name,
        connection_name=chart.connection_name,
        spec=chart.spec,
        source_columns=tuple(chart.source_columns or ()),
        cache_ttl_seconds=chart.cache_ttl_seconds,
        show_sql_to_viewers=bool(chart.show_sql_to_viewers),
        created_at=chart.created_at,
        updated_at=chart.updated_at,
        viewers_may_drill=bool(chart.viewers_may_drill),
    )


class Charts:
    """Repository of charts; reads by a user are scoped to that user's own charts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, owner_id: int, **fields: Any) -> ChartRecord:
        """Save a chart (fields: those of :data:`CHANGEABLE`)."""
        with self._db.session() as s:
            chart = Chart(owner_id=owner_id, **fields)
            s.add(chart)
            s.flush()
            return _record(chart)

    def get(self, chart_id: int) -> ChartRecord | None:
        """A chart by id, whoever owns it: for callers that checked access another way."""
        with self._db.session() as s:
            chart = s.get(Chart, chart_id)
            return None if chart is None else _record(chart)

    def owned(self, chart_id: int, user_id: int) -> ChartRecord | None:
        """A chart the user owns; ``None`` otherwise (even if it exists)."""
        chart = self.get(chart_id)
        return chart if chart is not None and chart.owner_id == user_id else None

    def many(self, chart_ids: list[int]) -> dict[int, ChartRecord]:
        """Charts by id (missing ones left out)."""
        if not chart_ids:
            return {}
        with self._db.session() as s:
            found = s.scalars(select(Chart).where(Chart.id.in_(chart_ids)))
            return {c.id: _record(c) for c in found}

    def list_owned(self, user_id: int) -> list[ChartRecord]:
        """The user's charts, by name."""
        with self._db.session() as s:
            query = select(Chart).where(Chart.owner_id == user_id).order_by(Chart.name, Chart.id)
            return [_record(c) for c in s.scalars(query)]

    def update(self, chart_id: int, user_id: int, changes: dict[str, Any]) -> ChartRecord | None:
        """Change the user's chart; ``None`` if they do not own it."""
        with self._db.session() as s:
            chart = s.get(Chart, chart_id)
            if chart is None or chart.owner_id != user_id:
                return None
            for field in CHANGEABLE:
                if field in changes:
                    setattr(chart, field, changes[field])
            s.flush()
            return _record(chart)

    def delete(self, chart_id: int, user_id: int) -> bool:
        """Delete the user's chart; ``False`` if they do not own it."""
        with self._db.session() as s:
            chart = s.get(Chart, chart_id)
            if chart is None or chart.owner_id != user_id:
                return False
            s.delete(chart)
            return True
