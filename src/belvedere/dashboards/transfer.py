"""Export a dashboard with its charts as one document, and import one as new things of the
importer's: a private dashboard, its charts and the saved queries they are built on, with the
document's references remapped to the new ids. Nothing of who owned, shared or scheduled the
original carries over (see :mod:`belvedere.dashboards.document`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import UTC, datetime

from belvedere.auth.account import Account
from belvedere.charts.errors import ChartInvalid, ChartNotFound
from belvedere.charts.library import SavedCharts
from belvedere.charts.service import ChartService
from belvedere.charts.spec import ChartSpec, SavedQuerySource
from belvedere.concurrency import Lane
from belvedere.connections.service import ConnectionNotFound, ConnectionService
from belvedere.dashboards.document import (
    KIND,
    VERSION,
    ChartEntry,
    DashboardDocument,
    DashboardEntry,
    SavedQueryEntry,
)
from belvedere.dashboards.errors import DashboardNotFound
from belvedere.dashboards.layout import Layout
from belvedere.dashboards.service import DashboardService, DashboardView, shows_sql
from belvedere.execution.runs import Actor
from belvedere.identity.service import AuthorizationRequired, IdentityError
from belvedere.store.charts import ChartRecord
from belvedere.store.saved_queries import SavedQueries


class NotExportable(PermissionError):
    """A chart whose query the exporter is not shown (answered 403)."""


class ConnectionsUnusable(ValueError):
    """The document names connections the importer may not use here (answered 422)."""

    def __init__(self, names: list[str]) -> None:
        listed = ", ".join(repr(n) for n in names)
        super().__init__(
            f"The document's charts use connections that do not exist here or that you may "
            f"not use: {listed}."
        )
        self.names = names


class DashboardTransfer:
    """Dashboards to documents and back."""

    def __init__(
        self,
        dashboards: DashboardService,
        charts: SavedCharts,
        runner: ChartService,
        saved: SavedQueries,
        connections: ConnectionService,
        io: Lane,
    ) -> None:
        self._dashboards = dashboards
        self._charts = charts
        self._runner = runner
        self._saved = saved
        self._connections = connections
        self._io = io

    # -- export --------------------------------------------------------------------------

    async def export(self, viewer: Account, dashboard_id: int) -> DashboardDocument:
        """The dashboard the viewer may see, as a document. Each chart's spec and source are
        its query: a chart whose SQL the viewer is not shown (another's, not shown to
        viewers) refuses the export (``NotExportable``)."""
        view = await self._dashboards.get(viewer, dashboard_id)
        hidden = [c.name for c in view.charts.values() if not shows_sql(c, viewer)]
        if hidden:
            raise NotExportable(
                "You are not shown the query of chart(s) "
                + ", ".join(repr(n) for n in hidden)
                + ": only their owner may export them."
            )
        refs = {chart_id: n for n, chart_id in enumerate(view.charts, start=1)}
        saved: dict[int, SavedQueryEntry] = {}
        charts = [await self._chart_entry(c, refs[c.id], saved) for c in view.charts.values()]
        return DashboardDocument(
            kind=KIND,
            version=VERSION,
            exported_at=datetime.now(UTC),
            dashboard=_dashboard_entry(view, refs),
            charts=charts,
            saved_queries=list(saved.values()),
        )

    async def _chart_entry(
        self, chart: ChartRecord, ref: int, saved: dict[int, SavedQueryEntry]
    ) -> ChartEntry:
        """A chart as the document holds it; its saved query (read as its owner) added to
        ``saved`` under the source's id."""
        spec = self._runner.spec_of(chart)
        source = spec.source
        if isinstance(source, SavedQuerySource):
            entry = saved.get(source.saved_query_id)
            if entry is None:
                found = await self._io.run(
                    self._saved.visible, source.saved_query_id, chart.owner_id
                )
                if found is None:
                    raise ChartInvalid(
                        f"Chart {chart.name!r} is built on a saved query that no longer exists."
                    )
                entry = SavedQueryEntry(
                    ref=len(saved) + 1,
                    name=found.name,
                    connection=found.connection_name,
                    sql=found.sql,
                    description=found.description,
                )
                saved[source.saved_query_id] = entry
            spec = spec.model_copy(update={"source": SavedQuerySource(saved_query_id=entry.ref)})
        return ChartEntry(
            ref=ref,
            name=chart.name,
            connection=chart.connection_name,
            spec=spec,
            cache_ttl_seconds=chart.cache_ttl_seconds,
        )

    # -- import --------------------------------------------------------------------------

    async def _check_connections(self, document: DashboardDocument, actor: Actor) -> None:
        unusable = []
        for name in document.connections():
            try:
                await self._io.run(self._connections.resolve, name, actor)
            except (ConnectionNotFound, AuthorizationRequired, IdentityError):
                unusable.append(name)
        if unusable:
            raise ConnectionsUnusable(unusable)

    async def import_(
        self, importer: Account, actor: Actor, document: DashboardDocument
    ) -> DashboardView:
        """New things of the importer's from a checked document: saved queries, charts (each
        source queried once as them, as saving a chart does) and a private dashboard showing
        them. Refused before anything is written when a connection is not theirs to use; on
        a later failure what was written is removed again."""
        await self._check_connections(document, actor)
        saved_ids: dict[int, int] = {}
        chart_ids: dict[int, int] = {}
        board_id: int | None = None
        try:
            for query in document.saved_queries:
                record = await self._io.run(
                    self._saved.create,
                    importer.id,
                    connection=query.connection,
                    name=query.name,
                    sql=query.sql,
                    description=query.description,
                )
                saved_ids[query.ref] = record.id
            for chart in document.charts:
                created = await self._charts.create(
                    actor,
                    name=chart.name,
                    connection=chart.connection,
                    spec=_remapped_spec(chart.spec, saved_ids),
                    cache_ttl_seconds=chart.cache_ttl_seconds,
                    show_sql_to_viewers=False,
                    viewers_may_drill=False,
                )
                chart_ids[chart.ref] = created.id
            board = document.dashboard
            board_id = (await self._dashboards.create(importer, board.title)).record.id
            changes = {
                "layout": _remapped_layout(board.layout, chart_ids).model_dump(mode="json"),
                "filters": [f.model_dump(mode="json") for f in board.filters],
            }
            return await self._dashboards.change(importer, board_id, changes)
        except Exception:
            await self._undo(importer, board_id, chart_ids.values(), saved_ids.values())
            raise

    async def _undo(
        self,
        importer: Account,
        board_id: int | None,
        charts: Iterable[int],
        saved: Iterable[int],
    ) -> None:
        """Remove what an import that failed half-way wrote."""
        if board_id is not None:
            with contextlib.suppress(DashboardNotFound):
                await self._dashboards.delete(importer, board_id)
        for chart_id in charts:
            with contextlib.suppress(ChartNotFound):
                await self._charts.delete(chart_id, importer.id)
        for saved_id in saved:
            await self._io.run(self._saved.delete, saved_id, importer.id)


def _remapped_spec(spec: ChartSpec, saved_ids: dict[int, int]) -> ChartSpec:
    source = spec.source
    if isinstance(source, SavedQuerySource):
        new = SavedQuerySource(saved_query_id=saved_ids[source.saved_query_id])
        return spec.model_copy(update={"source": new})
    return spec


def _remapped_layout(layout: Layout, chart_ids: dict[int, int]) -> Layout:
    tiles = [
        t.model_copy(update={"chart_id": chart_ids[t.chart_id]}) if t.chart_id is not None else t
        for t in layout.tiles
    ]
    return Layout(tiles=tiles)


def _dashboard_entry(view: DashboardView, refs: dict[int, int]) -> DashboardEntry:
    """The dashboard's tiles with charts as refs (a tile of a deleted chart left out)."""
    tiles = [
        t.model_copy(update={"chart_id": refs[t.chart_id]}) if t.chart_id is not None else t
        for t in view.layout.tiles
        if t.chart_id is None or t.chart_id in refs
    ]
    return DashboardEntry(title=view.record.title, layout=Layout(tiles=tiles), filters=view.filters)
