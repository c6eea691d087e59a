"""Which dashboard filters a user may apply, and which reach which chart."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from belvedere.charts.spec import DashboardFilterValue, Filter
from belvedere.dashboards.errors import FilterNotDeclared, NotBuilder
from belvedere.dashboards.layout import DashboardFilter
from belvedere.store.charts import ChartRecord


def applicable(chart: ChartRecord, values: Sequence[DashboardFilterValue]) -> list[Filter]:
    """The dashboard filters that apply to a chart: those on a column its source has."""
    columns = set(chart.source_columns)
    return [f for value in values if value.column in columns for f in value.as_filters()]


def check_declared(declared: Sequence[DashboardFilter], columns: Iterable[str]) -> None:
    """``FilterNotDeclared`` unless each of ``columns`` has a filter on the dashboard."""
    names = {f.column for f in declared}
    for column in columns:
        if column not in names:
            raise FilterNotDeclared(column)


def undeclared(
    declared: Sequence[DashboardFilter], values: Sequence[DashboardFilterValue]
) -> list[DashboardFilterValue]:
    """The filter values on a column no filter of the dashboard declares."""
    names = {f.column for f in declared}
    return [v for v in values if v.column not in names]


def grouped_columns(charts: Iterable[ChartRecord]) -> set[str]:
    """The columns the charts group by (dimensions and time column): their values are on show."""
    found: set[str] = set()
    for chart in charts:
        dimensions = chart.spec.get("dimensions")
        if isinstance(dimensions, list):
            found.update(d for d in dimensions if isinstance(d, str))
        time = chart.spec.get("time")
        if isinstance(time, dict) and isinstance(time.get("column"), str):
            found.add(time["column"])
    return found


def check_cross_filters(values: Sequence[DashboardFilterValue], grouped: set[str]) -> None:
    """``FilterNotDeclared`` unless each value (on an undeclared column) is a cross-filter: a
    list of values of a column a chart of the dashboard groups by, as a click on a mark sends.
    A viewer may so narrow the other tiles to a value a chart shows them."""
    for value in values:
        if value.column not in grouped or not value.values:
            raise FilterNotDeclared(value.column)


def check_viewer_filters(
    declared: Sequence[DashboardFilter],
    values: Sequence[DashboardFilterValue],
    charts: Callable[[], Iterable[ChartRecord]],
) -> None:
    """``FilterNotDeclared`` unless each value is on a declared filter or is a cross-filter on
    a column one of the dashboard's ``charts`` (read only when needed) groups by."""
    others = undeclared(declared, values)
    if others:
        check_cross_filters(others, grouped_columns(charts()))


def check_no_new_columns(
    declared: Sequence[DashboardFilter], wanted: Sequence[DashboardFilter]
) -> None:
    """``NotBuilder`` if ``wanted`` filters a column ``declared`` does not (only a chart
    builder adds one)."""
    names = {f.column for f in declared}
    added = [f.column for f in wanted if f.column not in names]
    if added:
        raise NotBuilder(f"Only a chart builder adds a filter on a new column: {added[0]!r}.")
