"""The dashboard rules without a server: the layout grid, access from shares, and which
filters reach which chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from belvedere.charts.spec import DashboardFilterValue
from belvedere.dashboards.access import Access, access_of, filters_anywhere
from belvedere.dashboards.errors import FilterNotDeclared, NotBuilder
from belvedere.dashboards.filters import (
    applicable,
    check_declared,
    check_no_new_columns,
    check_viewer_filters,
)
from belvedere.dashboards.layout import (
    GRID_COLUMNS,
    DashboardFilter,
    Layout,
    stored_filters,
    stored_layout,
)
from belvedere.store.charts import ChartRecord


@dataclass(frozen=True)
class Person:
    id: int
    role: str
    username: str = "someone"


def _tile(tile_id: str, x: int = 0, w: int = 6, **extra: Any) -> dict[str, Any]:
    return {"id": tile_id, "kind": "chart", "chart_id": 1, "x": x, "y": 0, "w": w, "h": 4, **extra}


def _chart(columns: tuple[str, ...]) -> ChartRecord:
    now = datetime.now(UTC)
    return ChartRecord(1, 1, "c", "demo", {}, columns, None, False, now, now)


def test_a_tile_fits_the_grid() -> None:
    Layout.model_validate({"tiles": [_tile("a", x=GRID_COLUMNS - 6)]})
    for bad in (
        [_tile("a", x=GRID_COLUMNS - 5)],
        [_tile("a"), _tile("a", x=6)],
        [{**_tile("a"), "chart_id": None}],
        [_tile("a", script="alert(1)")],
    ):
        with pytest.raises(ValidationError):
            Layout.model_validate({"tiles": bad})


def test_a_stored_layout_that_no_longer_parses_shows_empty() -> None:
    assert stored_layout({"tiles": [_tile("a", x=GRID_COLUMNS)]}).tiles == []
    assert stored_layout({"tiles": [_tile("a"), _tile("b", x=6)]}).chart_ids() == [1, 1]
    kept = stored_filters([{"column": "c", "kind": "values"}, {"column": "d", "kind": "video"}])
    assert [f.column for f in kept] == ["c"]


def test_access_comes_from_ownership_then_shares() -> None:
    alice, bob = Person(1, "viewer"), Person(2, "editor")
    assert access_of(1, alice, []) is Access.OWNER
    assert access_of(1, bob, []) is None
    assert access_of(1, bob, ["viewer"]) is Access.VIEWER
    assert access_of(1, bob, ["viewer", "editor"]) is Access.EDITOR
    assert filters_anywhere(Access.EDITOR, bob) and not filters_anywhere(Access.VIEWER, bob)
    assert not filters_anywhere(Access.OWNER, alice)


def test_a_filter_reaches_the_charts_whose_source_has_its_column() -> None:
    window = DashboardFilterValue.model_validate(
        {"column": "day", "start": "2024-01-01", "end": "2024-01-31"}
    )
    assert applicable(_chart(("day", "x")), [window])
    assert applicable(_chart(("x",)), [window]) == []


def test_only_declared_filters_and_builders_new_columns() -> None:
    declared = [DashboardFilter(column="day", kind="date_range")]
    check_declared(declared, ["day"])
    with pytest.raises(FilterNotDeclared, match="'region'"):
        check_declared(declared, ["day", "region"])
    check_no_new_columns(declared, declared)
    with pytest.raises(NotBuilder, match="'region'"):
        check_no_new_columns(declared, [*declared, DashboardFilter(column="region", kind="values")])


def test_a_viewer_cross_filters_only_on_a_column_a_chart_groups_by() -> None:
    declared = [DashboardFilter(column="day", kind="date_range")]
    now = datetime.now(UTC)
    spec = {"dimensions": ["region"], "time": {"column": "day", "grain": "month"}}
    charts = [ChartRecord(1, 1, "c", "demo", spec, ("region", "email"), None, False, now, now)]

    def value(**fields: Any) -> DashboardFilterValue:
        return DashboardFilterValue.model_validate(fields)

    check_viewer_filters(declared, [value(column="region", values=["West"])], lambda: charts)
    check_viewer_filters(declared, [value(column="day", start="2024-01-01")], lambda: [])
    for probe in (
        value(column="email", values=["a@b.c"]),
        value(column="region", end="2024-01-01"),
    ):
        with pytest.raises(FilterNotDeclared):
            check_viewer_filters(declared, [probe], lambda: charts)


def test_a_reversed_date_range_does_not_validate() -> None:
    with pytest.raises(ValidationError, match=r"starts .* after it ends"):
        DashboardFilterValue.model_validate(
            {"column": "day", "start": "2024-02-01", "end": "2024-01-31T23:00:00"}
        )
    DashboardFilterValue.model_validate(
        {"column": "day", "start": "2024-01-31", "end": "2024-01-31"}
    )
