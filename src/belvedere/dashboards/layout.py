"""A dashboard's layout (a grid of chart and markdown tiles) and its declared filters."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from belvedere.store.ids import RowId

#: Columns of the dashboard grid (the browser is sent it with the dashboard page).
GRID_COLUMNS = 12


class Tile(BaseModel):
    """One tile: a chart or markdown, placed on the grid."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=64)]
    kind: Literal["chart", "markdown"]
    chart_id: RowId | None = None
    markdown: Annotated[str, Field(max_length=20_000)] | None = None
    x: Annotated[int, Field(ge=0, lt=GRID_COLUMNS)]
    y: Annotated[int, Field(ge=0, le=10_000)]
    w: Annotated[int, Field(ge=1, le=GRID_COLUMNS)]
    h: Annotated[int, Field(ge=1, le=40)]

    @model_validator(mode="after")
    def _complete(self) -> Tile:
        if self.x + self.w > GRID_COLUMNS:
            raise ValueError(f"tile {self.id!r} is wider than the {GRID_COLUMNS}-column grid")
        if self.kind == "chart" and self.chart_id is None:
            raise ValueError(f"chart tile {self.id!r} needs a chart_id")
        if self.kind == "markdown" and self.markdown is None:
            raise ValueError(f"markdown tile {self.id!r} needs its markdown")
        return self


class Layout(BaseModel):
    """The tiles of a dashboard (validated on save: one that does not parse is refused)."""

    model_config = ConfigDict(extra="forbid")

    tiles: Annotated[list[Tile], Field(max_length=100)] = []

    @model_validator(mode="after")
    def _unique(self) -> Layout:
        ids = [t.id for t in self.tiles]
        if len(set(ids)) != len(ids):
            raise ValueError("two tiles have the same id")
        return self

    def chart_ids(self) -> list[int]:
        """The charts the tiles show, in tile order."""
        return [t.chart_id for t in self.tiles if t.chart_id is not None]


class DashboardFilter(BaseModel):
    """A filter the dashboard offers: a list of values or a date range on a column."""

    model_config = ConfigDict(extra="forbid")

    column: Annotated[str, Field(min_length=1, max_length=300)]
    kind: Literal["values", "date_range"]
    label: Annotated[str, Field(max_length=200)] = ""


def stored_layout(raw: dict[str, Any]) -> Layout:
    """A stored layout (one written by an older version that no longer parses shows empty
    rather than failing the page; it is kept as it is until the next save)."""
    try:
        return Layout.model_validate(raw or {})
    except ValidationError:
        return Layout()


def stored_filters(raw: list[dict[str, Any]]) -> list[DashboardFilter]:
    """A dashboard's stored filters, leaving out any that no longer parse."""
    filters = []
    for item in raw or []:
        try:
            filters.append(DashboardFilter.model_validate(item))
        except ValidationError:
            continue
    return filters
