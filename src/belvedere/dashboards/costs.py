"""What a dashboard's charts would bill, from their dry runs as the viewer: the estimate a force
refresh shows (and asks first above a threshold, or above the viewer's budget left), and the
check of an auto-refresh interval against the budget left of whoever sets it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from belvedere.auth.account import Account
from belvedere.charts.errors import ChartInvalid
from belvedere.charts.service import ChartService
from belvedere.charts.spec import DashboardFilterValue
from belvedere.connections.service import ConnectionNotFound
from belvedere.costs.model import Allowance
from belvedere.dashboards.errors import RefreshOverBudget
from belvedere.dashboards.filters import applicable
from belvedere.dashboards.layout import stored_layout
from belvedere.dashboards.refresh_budget import (
    ChartCost,
    Limit,
    bytes_a_day,
    refusal,
    shortest_fit,
)
from belvedere.dashboards.service import DashboardService, shows_sql
from belvedere.execution.runs import Actor
from belvedere.execution.service import Estimate, ExecutionService, InvalidRequest
from belvedere.identity.service import AuthorizationRequired, IdentityError
from belvedere.store.charts import ChartRecord
from belvedere.warehouses.errors import WarehouseError

#: Dry runs of one dashboard sent at once.
DRY_RUNS_AT_ONCE = 4
#: What may fail one tile's dry run without failing the others'.
TILE_FAILURES = (
    ChartInvalid,
    ConnectionNotFound,
    WarehouseError,
    AuthorizationRequired,
    IdentityError,
    InvalidRequest,
    TimeoutError,
)


@dataclass(frozen=True)
class TileEstimate:
    """One chart tile: what its dry run says it would process (``None``: its warehouse does
    not bill by bytes, or the dry run failed, ``error`` saying why)."""

    tile_id: str
    chart: ChartRecord
    bills_bytes: bool
    bytes: int | None
    error: str | None = None


@dataclass(frozen=True)
class ConnectionEstimate:
    """The tiles on one connection that bills by bytes: their sum, and what the viewer may
    still bill there (``budget_text``: the budget with the least left, in words)."""

    connection: str
    bytes: int
    allowance: Allowance | None
    budget_text: str | None

    @property
    def budget_left(self) -> int | None:
        return self.allowance.left if self.allowance is not None else None

    @property
    def over_budget(self) -> bool:
        """More than the least left of the viewer's budgets there."""
        return self.budget_left is not None and self.bytes > self.budget_left


@dataclass(frozen=True)
class DashboardEstimate:
    """What a force refresh of a dashboard would process, as the viewer."""

    tiles: list[TileEstimate]
    connections: list[ConnectionEstimate]
    threshold: int
    """Above this many bytes, a force refresh asks first."""

    @property
    def applies(self) -> bool:
        """Whether any tile is on a warehouse that bills by bytes."""
        return any(t.bills_bytes for t in self.tiles)

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.connections)

    @property
    def over_threshold(self) -> bool:
        return self.applies and self.bytes > self.threshold

    @property
    def confirm(self) -> bool:
        """Whether a force refresh should ask first."""
        return self.over_threshold or any(c.over_budget for c in self.connections)


class DashboardCosts:
    """Dry-runs a dashboard's charts as the viewer, a few at once, each distinct statement
    once; a tile that cannot be estimated says why and does not fail the others."""

    def __init__(
        self,
        dashboards: DashboardService,
        charts: ChartService,
        execution: ExecutionService,
        *,
        confirm_bytes: int,
    ) -> None:
        self._dashboards = dashboards
        self._charts = charts
        self._execution = execution
        self._confirm_bytes = confirm_bytes

    async def estimate(
        self,
        viewer: Account,
        actor: Actor,
        dashboard_id: int,
        values: Sequence[DashboardFilterValue],
    ) -> DashboardEstimate:
        """What a force refresh of the dashboard, with these filter values, would process."""
        _, tiles = await self._dashboards.chart_tiles(viewer, dashboard_id, values)
        return await self._estimate(viewer, actor, tiles, values)

    async def check_refresh(
        self, viewer: Account, actor: Actor, dashboard_id: int, changes: Mapping[str, Any]
    ) -> None:
        """Refuse (``RefreshOverBudget``) an auto-refresh interval whose charts would process
        more in a day than is left of the budgets of ``viewer``, who sets it. Checked when
        the interval is set or shortened, or charts are added while it is on."""
        record, tiles = await self._dashboards.chart_tiles(
            viewer, dashboard_id, layout=changes.get("layout"), editing=True
        )
        seconds = changes.get("refresh_seconds", record.refresh_seconds)
        before = record.refresh_seconds
        added = {c.id for _, c in tiles} - set(stored_layout(record.layout).chart_ids())
        if seconds is None or (before is not None and seconds >= before and not added):
            return
        found = await self._estimate(viewer, actor, tiles, ())
        costs: list[tuple[list[ChartCost], Limit]] = []
        for connection in found.connections:
            tightest = connection.allowance.tightest if connection.allowance else None
            if tightest is None:
                continue
            charts = [
                ChartCost(t.chart.name, self._charts.cache_ttl(t.chart), t.bytes)
                for t in found.tiles
                if t.chart.connection_name == connection.connection and t.bytes
            ]
            limit = Limit(connection.connection, tightest.left, tightest.describe())
            costs.append((charts, limit))
        over = [(c, limit) for c, limit in costs if bytes_a_day(seconds, c) > limit.left]
        if over:
            charts, limit = over[0]
            raise RefreshOverBudget(refusal(seconds, charts, limit, shortest_fit(seconds, costs)))

    async def _estimate(
        self,
        viewer: Account,
        actor: Actor,
        tiles: Sequence[tuple[str, ChartRecord]],
        values: Sequence[DashboardFilterValue],
    ) -> DashboardEstimate:
        statements = await asyncio.gather(*(self._statement(chart, values) for _, chart in tiles))
        gate = asyncio.Semaphore(DRY_RUNS_AT_ONCE)
        keys = list(dict.fromkeys(s for s in statements if isinstance(s, tuple)))
        answers = await asyncio.gather(*(self._dry_run(*key, actor, gate) for key in keys))
        found = dict(zip(keys, answers, strict=True))
        estimates: list[TileEstimate] = []
        allowances: dict[str, Allowance | None] = {}
        for (tile_id, chart), statement in zip(tiles, statements, strict=True):
            answer = found.get(statement) if isinstance(statement, tuple) else statement
            hide = not shows_sql(chart, viewer)
            estimates.append(_tile(tile_id, chart, answer, hide))
            if isinstance(answer, Estimate) and allowances.get(chart.connection_name) is None:
                allowances[chart.connection_name] = answer.allowance
            elif isinstance(statement, tuple):
                allowances.setdefault(chart.connection_name, None)
        connections = [
            ConnectionEstimate(
                name,
                sum(t.bytes or 0 for t in estimates if t.chart.connection_name == name),
                allowance,
                tightest.left_text() if allowance and (tightest := allowance.tightest) else None,
            )
            for name, allowance in allowances.items()
        ]
        return DashboardEstimate(estimates, connections, self._confirm_bytes)

    async def _statement(
        self, chart: ChartRecord, values: Sequence[DashboardFilterValue]
    ) -> tuple[str, str] | bool | Exception:
        """The (connection, SQL) a chart's tile would run, ``False`` where its warehouse does
        not bill by bytes, or why it cannot be told."""
        connection = chart.connection_name
        try:
            if not await self._charts.bills_bytes(connection):
                return False
            spec = self._charts.spec_of(chart)
            filters = applicable(chart, values)
            sql, _ = await self._charts.statement(connection, spec, chart.owner_id, filters)
        except TILE_FAILURES as exc:
            return exc
        return connection, sql

    async def _dry_run(
        self, connection: str, sql: str, actor: Actor, gate: asyncio.Semaphore
    ) -> Estimate | Exception:
        async with gate:
            try:
                return await self._execution.estimate(connection, sql, None, actor)
            except TILE_FAILURES as exc:
                return exc


def _tile(
    tile_id: str, chart: ChartRecord, answer: Estimate | bool | Exception | None, hide_sql: bool
) -> TileEstimate:
    """A tile's estimate from its dry run's answer (an error told without SQL if ``hide_sql``)."""
    if answer is False:
        return TileEstimate(tile_id, chart, bills_bytes=False, bytes=None)
    if isinstance(answer, Estimate):
        return TileEstimate(tile_id, chart, bills_bytes=True, bytes=answer.bytes or 0)
    message = str(answer) if answer is not None else "No estimate."
    if hide_sql:
        message = message.split("\n", 1)[0]
    return TileEstimate(tile_id, chart, bills_bytes=True, bytes=None, error=message)
