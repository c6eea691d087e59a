"""Saved charts: private to their owner; others reach them only through a shared dashboard."""

from __future__ import annotations

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
)


class Charts:
    """Repository of charts; reads by a user are scoped to that user's own charts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, owner_id: int, **fields: Any) -> Chart:
        """Save a chart (fields: those of :data:`CHANGEABLE`)."""
        with self._db.session() as s:
            chart = Chart(owner_id=owner_id, **fields)
            s.add(chart)
        return chart

    def get(self, chart_id: int) -> Chart | None:
        """A chart by id, whoever owns it: for callers that checked access another way."""
        with self._db.session() as s:
            return s.get(Chart, chart_id)

    def owned(self, chart_id: int, user_id: int) -> Chart | None:
        """A chart the user owns; ``None`` otherwise (even if it exists)."""
        chart = self.get(chart_id)
        return chart if chart is not None and chart.owner_id == user_id else None

    def many(self, chart_ids: list[int]) -> dict[int, Chart]:
        """Charts by id (missing ones left out)."""
        if not chart_ids:
            return {}
        with self._db.session() as s:
            found = s.scalars(select(Chart).where(Chart.id.in_(chart_ids)))
            return {c.id: c for c in found}

    def list_owned(self, user_id: int) -> list[Chart]:
        """The user's charts, by name."""
        with self._db.session() as s:
            query = select(Chart).where(Chart.owner_id == user_id).order_by(Chart.name, Chart.id)
            return list(s.scalars(query))

    def update(self, chart_id: int, user_id: int, changes: dict[str, Any]) -> Chart | None:
        """Change the user's chart; ``None`` if they do not own it."""
        with self._db.session() as s:
            chart = s.get(Chart, chart_id)
            if chart is None or chart.owner_id != user_id:
                return None
            for field in CHANGEABLE:
                if field in changes:
                    setattr(chart, field, changes[field])
            return chart

    def delete(self, chart_id: int, user_id: int) -> bool:
        """Delete the user's chart; ``False`` if they do not own it."""
        with self._db.session() as s:
            chart = s.get(Chart, chart_id)
            if chart is None or chart.owner_id != user_id:
                return False
            s.delete(chart)
            return True
