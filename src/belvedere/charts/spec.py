"""What a chart is: its source, type, dimensions, metrics, filters, time grain, sort and limit.

A spec is data (stored as JSON, sent by the chart builder); :mod:`belvedere.charts.sql` turns it
into one SQL statement per dialect and :mod:`belvedere.charts.vega` into a Vega-Lite spec.
Names of columns are plain strings here; nothing in a spec is ever pasted into SQL as text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from belvedere.store.ids import RowId

Name = Annotated[str, Field(min_length=1, max_length=300)]
#: A filter value: a string, a number, a boolean, or a date/time (sent as an ISO string).
Scalar = str | int | float | bool | date | datetime


class ChartType(StrEnum):
    TABLE = "table"
    BAR = "bar"
    LINE = "line"
    AREA = "area"
    PIE = "pie"
    SCATTER = "scatter"
    BIG_NUMBER = "big_number"
    HEATMAP = "heatmap"
    PIVOT = "pivot"


class Aggregate(StrEnum):
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    CUSTOM = "custom"
    """``sql`` holds an aggregate expression, parsed (never pasted) by SQLGlot."""


class Grain(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Operator(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    """``value`` is ``[low, high]``, both inclusive; either may be null (open end)."""
    CONTAINS = "contains"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableSource(Strict):
    """A table or view of the chart's connection."""

    kind: Literal["table"] = "table"
    schema_: Name | None = Field(default=None, alias="schema")
    table: Name


class SavedQuerySource(Strict):
    """A saved query of the chart's connection, used as a subquery."""

    kind: Literal["saved_query"] = "saved_query"
    saved_query_id: RowId


Source = Annotated[TableSource | SavedQuerySource, Field(discriminator="kind")]


class Metric(Strict):
    """An aggregate: ``agg(column)``, ``count(*)`` when count has no column, or custom SQL."""

    agg: Aggregate
    column: Name | None = None
    sql: Annotated[str, Field(max_length=2000)] | None = None
    label: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _complete(self) -> Metric:
        if self.agg is Aggregate.CUSTOM and not (self.sql and self.sql.strip()):
            raise ValueError("a custom metric needs its SQL expression")
        if self.agg not in (Aggregate.COUNT, Aggregate.CUSTOM) and not self.column:
            raise ValueError(f"the {self.agg.value} metric needs a column")
        return self

    @property
    def name(self) -> str:
        """The result column's name: the label, else e.g. ``sum_amount`` or ``count``."""
        if self.label:
            return self.label
        if self.agg is Aggregate.CUSTOM:
            return "custom"
        return f"{self.agg.value}_{self.column}" if self.column else self.agg.value


class Filter(Strict):
    """A condition on a column; the value is bound as a literal escaped by SQLGlot."""

    column: Name
    op: Operator = Operator.EQ
    value: Scalar | list[Scalar | None] | None = None
    value_type: Literal["date", "datetime"] | None = None
    """Read the values (ISO text in JSON) as dates or date-times: a range ending on a date
    then takes in that whole day, even on a timestamp column."""

    @model_validator(mode="before")
    @classmethod
    def _typed_values(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("value_type") not in ("date", "datetime"):
            return data
        parse = date.fromisoformat if data["value_type"] == "date" else datetime.fromisoformat

        def typed(value: object) -> object:
            if not isinstance(value, str):
                return value
            try:
                return parse(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a {data['value_type']} (write it as 2024-01-31"
                    f"{'' if data['value_type'] == 'date' else 'T12:00:00'})"
                ) from None

        value = data.get("value")
        value = [typed(v) for v in value] if isinstance(value, list) else typed(value)
        return {**data, "value": value}

    @model_validator(mode="after")
    def _value_fits(self) -> Filter:
        many = (Operator.IN, Operator.NOT_IN, Operator.BETWEEN)
        if self.op in many and not isinstance(self.value, list):
            raise ValueError(f"the {self.op.value} filter needs a list of values")
        if self.op is Operator.BETWEEN and isinstance(self.value, list) and len(self.value) != 2:
            raise ValueError("the between filter needs [low, high]")
        if self.op not in many and isinstance(self.value, list):
            raise ValueError(f"the {self.op.value} filter takes one value, not a list")
        if self.op not in (Operator.IS_NULL, Operator.NOT_NULL, *many) and self.value is None:
            raise ValueError(f"the {self.op.value} filter needs a value")
        return self


class TimeAxis(Strict):
    """A time column truncated to a grain; it becomes the first dimension, named as the column."""

    column: Name
    grain: Grain = Grain.DAY


class Sort(Strict):
    """Order by a dimension or a metric, by its result column's name."""

    by: Name
    desc: bool = False


class ChartOptions(Strict):
    """How the chart is drawn (no effect on the SQL)."""

    stacked: bool = False
    """Bar and area: stack the series instead of grouping them."""
    donut: bool = False
    """Pie: a hole in the middle."""
    title: Annotated[str, Field(max_length=200)] | None = None
    unit: Literal["bytes"] | None = None
    """What the metrics count, when it is bytes: written 1.2 GB (powers of 1024), not SI."""


class ChartSpec(Strict):
    """A chart: where its data comes from and how it is grouped, aggregated and drawn."""

    type: ChartType
    source: Source
    dimensions: Annotated[list[Name], Field(max_length=10)] = []
    metrics: Annotated[list[Metric], Field(max_length=20)] = []
    filters: Annotated[list[Filter], Field(max_length=50)] = []
    time: TimeAxis | None = None
    sort: Annotated[list[Sort], Field(max_length=10)] = []
    limit: Annotated[int, Field(ge=1, le=50_000)] = 1000
    options: ChartOptions = ChartOptions()

    @model_validator(mode="after")
    def _shape_fits_type(self) -> ChartSpec:
        needs = _NEEDS.get(self.type)
        if needs is not None:
            dims, metrics = needs
            have_dims = len(self.dimensions) + (1 if self.time else 0)
            if have_dims < dims:
                raise ValueError(f"a {self.type.value} chart needs at least {dims} dimension(s)")
            if len(self.metrics) < metrics:
                raise ValueError(f"a {self.type.value} chart needs at least {metrics} metric(s)")
        names = [*self.dimensions, *(m.name for m in self.metrics)]
        if self.time:
            names.append(self.time.column)
        if len(set(names)) != len(names):
            raise ValueError("two result columns have the same name: give the metrics labels")
        if names:  # raw rows (a table of nothing chosen) sort by any column of the source
            known = set(names)
            for sort in self.sort:
                if sort.by not in known:
                    raise ValueError(f"sort by {sort.by!r}: not a dimension or metric of the chart")
        return self

    def result_columns(self) -> list[str]:
        """The columns of the chart's data, in order: time, dimensions, metrics."""
        time = [self.time.column] if self.time else []
        return [*time, *self.dimensions, *(m.name for m in self.metrics)]


#: (dimensions, metrics) each type needs at the least; a table needs nothing (raw rows).
_NEEDS: dict[ChartType, tuple[int, int]] = {
    ChartType.BAR: (1, 1),
    ChartType.LINE: (1, 1),
    ChartType.AREA: (1, 1),
    ChartType.PIE: (1, 1),
    ChartType.SCATTER: (1, 2),
    ChartType.BIG_NUMBER: (0, 1),
    ChartType.HEATMAP: (2, 1),
    ChartType.PIVOT: (1, 1),
}


class DashboardFilterValue(Strict):
    """A dashboard filter's current value: a list of values, or a date range (either end open)."""

    column: Name
    values: list[Scalar] | None = None
    start: date | datetime | None = None
    end: date | datetime | None = None

    @model_validator(mode="after")
    def _in_order(self) -> DashboardFilterValue:
        start, end = self.start, self.end
        if start is not None and end is not None and _instant(start) > _instant(end):
            raise ValueError(
                f"the date range starts ({start.isoformat()}) after it ends "
                f"({end.isoformat()}): the start must not be after the end"
            )
        return self

    def as_filters(self) -> list[Filter]:
        """The chart filters this value stands for (none when it is empty)."""
        if self.values:
            return [Filter(column=self.column, op=Operator.IN, value=list(self.values))]
        if self.start is not None or self.end is not None:
            return [Filter(column=self.column, op=Operator.BETWEEN, value=[self.start, self.end])]
        return []


def _instant(value: date | datetime) -> datetime:
    """A date or date-time as a naive UTC date-time, so that the two compare."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime(value.year, value.month, value.day)
