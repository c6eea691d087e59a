"""Saved charts: each private to its owner, its source's columns learnt when it is saved."""

from __future__ import annotations

from typing import Any

from belvedere.charts.errors import ChartNotFound
from belvedere.charts.service import ChartService
from belvedere.charts.spec import ChartSpec, Source
from belvedere.concurrency import Lane
from belvedere.execution.runs import Actor
from belvedere.store.charts import ChartRecord, Charts


class SavedCharts:
    """Save, read, change and delete a user's own charts."""

    def __init__(self, charts: Charts, runner: ChartService, io: Lane) -> None:
        self._charts = charts
        self._runner = runner
        self._io = io

    async def list_owned(self, owner_id: int) -> list[ChartRecord]:
        """The user's charts, by name."""
        return await self._io.run(self._charts.list_owned, owner_id)

    async def owned(self, chart_id: int, owner_id: int) -> ChartRecord:
        """The user's chart (``ChartNotFound`` whether it exists or not)."""
        chart = await self._io.run(self._charts.owned, chart_id, owner_id)
        if chart is None:
            raise ChartNotFound(f"No chart {chart_id}.")
        return chart

    async def _columns(self, connection: str, source: Source, actor: Actor) -> list[str]:
        """The columns of a chart's source, queried as its owner (dashboard filters apply
        to the charts whose source has the column)."""
        assert actor.user_id is not None
        columns = await self._runner.source_columns(connection, source, actor.user_id, actor)
        return [name for name, _ in columns]

    async def create(
        self,
        actor: Actor,
        *,
        name: str,
        connection: str,
        spec: ChartSpec,
        cache_ttl_seconds: int | None,
        show_sql_to_viewers: bool,
        viewers_may_drill: bool = False,
    ) -> ChartRecord:
        """Save a chart of ``actor``'s (its source is queried once, as them)."""
        assert actor.user_id is not None
        columns = await self._columns(connection, spec.source, actor)
        await self._runner.check_metrics(connection, spec, actor.user_id, actor)
        return await self._io.run(
            self._charts.create,
            actor.user_id,
            name=name,
            connection_name=connection,
            spec=spec.model_dump(mode="json", by_alias=True),
            source_columns=columns,
            cache_ttl_seconds=cache_ttl_seconds,
            show_sql_to_viewers=show_sql_to_viewers,
            viewers_may_drill=viewers_may_drill,
        )

    async def change(
        self, chart_id: int, actor: Actor, changes: dict[str, Any], spec: ChartSpec | None
    ) -> ChartRecord:
        """Change ``actor``'s chart (``changes`` as the chart API names them, a new spec
        apart; a new spec or connection learns the source's columns again)."""
        assert actor.user_id is not None
        chart = await self.owned(chart_id, actor.user_id)
        changes = {k: v for k, v in changes.items() if k != "spec"}
        if "connection" in changes:
            changes["connection_name"] = changes.pop("connection")
        if spec is not None or "connection_name" in changes:
            spec = spec or self._runner.spec_of(chart)
            connection = changes.get("connection_name", chart.connection_name)
            changes["source_columns"] = await self._columns(connection, spec.source, actor)
            await self._runner.check_metrics(connection, spec, actor.user_id, actor)
            changes["spec"] = spec.model_dump(mode="json", by_alias=True)
        updated = await self._io.run(self._charts.update, chart_id, actor.user_id, changes)
        if updated is None:
            raise ChartNotFound(f"No chart {chart_id}.")
        return updated

    async def delete(self, chart_id: int, owner_id: int) -> None:
        """Delete the user's chart (dashboards that show it then show that it is gone)."""
        if not await self._io.run(self._charts.delete, chart_id, owner_id):
            raise ChartNotFound(f"No chart {chart_id}.")
