"""Request and response bodies of a dashboard's estimate: what a force refresh would process."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from belvedere.charts.spec import DashboardFilterValue
from belvedere.dashboards.costs import ConnectionEstimate, DashboardEstimate, TileEstimate
from belvedere.units import human_bytes

TIB = 1024**4


class DashboardEstimateIn(BaseModel):
    filters: Annotated[list[DashboardFilterValue], Field(max_length=20)] = []


class TileEstimateOut(BaseModel):
    tile_id: str
    chart_id: int
    name: str
    connection: str
    bills_bytes: bool = Field(description="Whether its warehouse bills by bytes (BigQuery).")
    bytes: int | None = Field(description="What its dry run says it would process.")
    error: str | None = Field(description="Why it could not be estimated.")

    @classmethod
    def of(cls, tile: TileEstimate) -> TileEstimateOut:
        chart = tile.chart
        return cls(
            tile_id=tile.tile_id,
            chart_id=chart.id,
            name=chart.name,
            connection=chart.connection_name,
            bills_bytes=tile.bills_bytes,
            bytes=tile.bytes,
            error=tile.error,
        )


class ConnectionEstimateOut(BaseModel):
    connection: str
    bytes: int = Field(description="The sum of its tiles' dry runs.")
    budget_left: int | None = Field(description="The least left of your budgets there.")
    budget_text: str | None = Field(
        description='"120.0 GB left of your daily budget of 1.0 TB, resets at 00:00 on '
        '8 Dec 2026, Europe/Paris"'
    )
    over_budget: bool

    @classmethod
    def of(cls, found: ConnectionEstimate) -> ConnectionEstimateOut:
        return cls(
            connection=found.connection,
            bytes=found.bytes,
            budget_left=found.budget_left,
            budget_text=found.budget_text,
            over_budget=found.over_budget,
        )


class DashboardEstimateOut(BaseModel):
    applies: bool = Field(
        description="Whether any chart is on a warehouse that bills by bytes; if not, there "
        "is nothing to estimate (not billed by bytes)."
    )
    bytes: int = Field(description="What a force refresh would process: the dry runs' sum.")
    text: str | None = Field(description='For people: "will process 12.3 GB".')
    cost: float | None = Field(description="That many bytes at the price per TiB.")
    currency: str
    threshold: int = Field(description="Above this many bytes, a force refresh asks first.")
    confirm: bool = Field(
        description="Ask before refreshing: above the threshold, or above your budget left."
    )
    reasons: list[str] = Field(description="Why it asks, in words.")
    connections: list[ConnectionEstimateOut]
    tiles: list[TileEstimateOut]

    @classmethod
    def of(
        cls, found: DashboardEstimate, *, price_per_tib: float, currency: str
    ) -> DashboardEstimateOut:
        reasons = []
        if found.over_threshold:
            reasons.append(
                f"It would process {human_bytes(found.bytes)}, more than "
                f"{human_bytes(found.threshold)}."
            )
        reasons += [
            f"On {c.connection} it would process {human_bytes(c.bytes)}, more than the "
            f"{c.budget_text}."
            for c in found.connections
            if c.over_budget
        ]
        return cls(
            applies=found.applies,
            bytes=found.bytes,
            text=f"will process {human_bytes(found.bytes)}" if found.applies else None,
            cost=round(found.bytes / TIB * price_per_tib, 4) if found.applies else None,
            currency=currency,
            threshold=found.threshold,
            confirm=found.confirm,
            reasons=reasons,
            connections=[ConnectionEstimateOut.of(c) for c in found.connections],
            tiles=[TileEstimateOut.of(t) for t in found.tiles],
        )
