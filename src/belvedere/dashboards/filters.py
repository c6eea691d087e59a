"""Which dashboard filters a user may apply, and which reach which chart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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


def check_no_new_columns(
    declared: Sequence[DashboardFilter], wanted: Sequence[DashboardFilter]
) -> None:
    """``NotBuilder`` if ``wanted`` filters a column ``declared`` does not (only a chart
    builder adds one)."""
    names = {f.column for f in declared}
    added = [f.column for f in wanted if f.column not in names]
    if added:
        raise NotBuilder(f"Only a chart builder adds a filter on a new column: {added[0]!r}.")
