"""The Spend page's charts: specs over the built-in connection's ``spend`` table, drawn by the
chart service like any other chart (each asker sees their own runs; an admin, everyone's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from belvedere.charts.spec import (
    Aggregate,
    ChartOptions,
    ChartSpec,
    ChartType,
    Filter,
    Grain,
    Metric,
    Operator,
    Sort,
    TableSource,
    TimeAxis,
)

#: Most bars a "by" chart shows (the biggest first).
TOP = 15


class SpendMetric(StrEnum):
    """What the charts add up."""

    BYTES_BILLED = "bytes_billed"
    COST = "cost"
    RUNS = "runs"

    def metric(self) -> Metric:
        if self is SpendMetric.RUNS:
            return Metric(agg=Aggregate.COUNT, label="runs")
        return Metric(agg=Aggregate.SUM, column=self.value, label=self.value)


@dataclass(frozen=True)
class SpendChart:
    """One chart of the page: its title, and the column it splits spend by (``None``: by day)."""

    title: str
    by: str | None
    admins_only: bool = False

    def spec(self, since: date, until: date, metric: SpendMetric) -> ChartSpec:
        """The chart over the days ``since`` to ``until`` (both included, the asker's days)."""
        measure = metric.metric()
        options = ChartOptions(unit=None if metric is SpendMetric.RUNS else "bytes")
        filters = [
            Filter(column="day", op=Operator.BETWEEN, value=[since, until], value_type="date")
        ]
        if metric is not SpendMetric.RUNS:  # runs on warehouses that bill nothing: left out
            filters.append(Filter(column=metric.value, op=Operator.NOT_NULL))
        source = TableSource(table="spend")
        if self.by is None:
            return ChartSpec(
                type=ChartType.BAR,
                source=source,
                time=TimeAxis(column="day", grain=Grain.DAY),
                metrics=[measure],
                filters=filters,
                sort=[Sort(by="day")],
                options=options,
            )
        return ChartSpec(
            type=ChartType.BAR,
            source=source,
            dimensions=[self.by],
            metrics=[measure],
            filters=[*filters, Filter(column=self.by, op=Operator.NOT_NULL)],
            sort=[Sort(by=measure.name, desc=True), Sort(by=self.by)],
            limit=TOP,
            options=options,
        )


#: The page's charts, by the name the API knows them by.
SPEND_CHARTS: dict[str, SpendChart] = {
    "over_time": SpendChart("Spend over time", None),
    "by_user": SpendChart("By user", "user", admins_only=True),
    "by_connection": SpendChart("By connection", "connection"),
    "by_dashboard": SpendChart("By dashboard", "dashboard"),
    "by_surface": SpendChart("By surface", "surface"),
}
