"""Sums and averages take numbers: a metric over a column that holds none is refused in words
of our own (``MetricNotNumeric``), before the warehouse refuses it in its own."""

from __future__ import annotations

from collections.abc import Sequence

from belvedere.charts.errors import MetricNotNumeric
from belvedere.charts.spec import Aggregate, ChartSpec, Metric
from belvedere.warehouses.families import Family, of_type_name

#: Aggregates of numbers only, in words.
NUMERIC_AGGREGATES = {Aggregate.SUM: "sum", Aggregate.AVG: "average"}
#: The families of columns that hold no numbers.
_NOT_NUMBERS = (Family.TEXT, Family.TEMPORAL, Family.BOOLEAN)


def numeric_metrics(spec: ChartSpec) -> list[Metric]:
    """The chart's metrics that need a column of numbers."""
    return [m for m in spec.metrics if m.agg in NUMERIC_AGGREGATES and m.column]


def check_numeric(spec: ChartSpec, columns: Sequence[tuple[str, str]]) -> None:
    """Raise ``MetricNotNumeric`` for a sum or average of a column of ``columns`` ((name,
    type name) of the source's) that holds no numbers; a column not there is left to the
    warehouse."""
    types = dict(columns)
    for metric in numeric_metrics(spec):
        found = types.get(metric.column or "")
        family = None if found is None else of_type_name(found)
        if family in _NOT_NUMBERS:
            raise MetricNotNumeric(
                f"Cannot take the {NUMERIC_AGGREGATES[metric.agg]} of {metric.column!r}: it is "
                f"a {family} column ({found}), not a number. Pick a numeric column, or count it "
                "instead."
            )
