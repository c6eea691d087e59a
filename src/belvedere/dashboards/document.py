"""A dashboard with its charts as one JSON document (export, import, version control).

Version 1 holds the dashboard (title, layout, filters), its charts (name, connection by name,
spec, cache TTL) and the saved queries they are built on (name, connection, SQL). Charts and
saved queries are numbered within the document (``ref``): a tile's ``chart_id`` and a
``saved_query`` source's ``saved_query_id`` name those numbers, not ids of any instance. It
holds no user, owner, share, schedule, auto-refresh or secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from belvedere.charts.spec import ChartSpec, SavedQuerySource
from belvedere.dashboards.layout import DashboardFilter, Layout

KIND = "belvedere.dashboard"
VERSION = 1
#: Most characters of a saved query's SQL (as the saved-queries API takes).
MAX_SQL_CHARS = 1_000_000

Ref = Annotated[int, Field(ge=1, le=1000)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
ConnectionName = Annotated[str, Field(min_length=1, max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SavedQueryEntry(_Strict):
    """A saved query a chart is built on; imported as a new, private saved query."""

    ref: Ref
    name: Title
    connection: ConnectionName
    sql: Annotated[str, Field(min_length=1, max_length=MAX_SQL_CHARS)]
    description: Annotated[str, Field(max_length=5000)] = ""


class ChartEntry(_Strict):
    """A chart of the dashboard; its spec's saved-query source names a saved query's ref."""

    ref: Ref
    name: Title
    connection: ConnectionName
    spec: ChartSpec
    cache_ttl_seconds: Annotated[int, Field(ge=0, le=7 * 86400)] | None = None


class DashboardEntry(_Strict):
    """The dashboard: its tiles (a chart tile's ``chart_id`` is a chart's ref) and filters."""

    title: Title
    layout: Layout
    filters: Annotated[list[DashboardFilter], Field(max_length=20)] = []


class DashboardDocument(_Strict):
    """The whole document, checked: every reference resolves within it."""

    kind: Literal["belvedere.dashboard"]
    version: Literal[1]
    exported_at: datetime | None = None
    dashboard: DashboardEntry
    charts: Annotated[list[ChartEntry], Field(max_length=100)] = []
    saved_queries: Annotated[list[SavedQueryEntry], Field(max_length=100)] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> DashboardDocument:
        charts = {c.ref: c for c in self.charts}
        saved = {s.ref: s for s in self.saved_queries}
        if len(charts) != len(self.charts):
            raise ValueError("two charts have the same ref")
        if len(saved) != len(self.saved_queries):
            raise ValueError("two saved queries have the same ref")
        for chart_id in self.dashboard.layout.chart_ids():
            if chart_id not in charts:
                raise ValueError(f"a tile shows chart {chart_id}, which the document lacks")
        for chart in self.charts:
            source = chart.spec.source
            if not isinstance(source, SavedQuerySource):
                continue
            query = saved.get(source.saved_query_id)
            if query is None:
                raise ValueError(
                    f"chart {chart.name!r} is built on saved query {source.saved_query_id}, "
                    "which the document lacks"
                )
            if query.connection != chart.connection:
                raise ValueError(
                    f"chart {chart.name!r} is on connection {chart.connection!r}, its saved "
                    f"query on {query.connection!r}"
                )
        return self

    def connections(self) -> list[str]:
        """The connections the document names, in order of first mention."""
        names = [c.connection for c in self.charts] + [s.connection for s in self.saved_queries]
        return list(dict.fromkeys(names))
