"""The rows behind a chart's mark ("drill to detail"): ``SELECT *`` from the chart's source,
with the chart's own filters, the dashboard's filter values and the mark's ``column = value``
pairs, built with SQLGlot.

What the viewer sends (filter values, the mark's values) is bound as query parameters, never
written into the SQL: named placeholders (``$p`` on DuckDB, ``%(p)s`` on PostgreSQL, ``@p`` on
BigQuery). Parameters stay JSON (runs queued for other processes carry them): a date or time
is bound as ISO text and cast; on BigQuery it compares as ``CAST(col AS TIMESTAMP)`` (a string
parameter does not coerce to a DATE column there as a string literal does). The mark's value
on the chart's time axis matches the truncated time: a bar of March holds the rows of March.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlglot import exp

from belvedere.charts.spec import ChartSpec, DashboardFilterValue
from belvedere.charts.sql import filter_condition, time_bucket

#: Prefix of the parameters' names (kept apart from anything a saved query could hold).
PARAM_PREFIX = "belvedere_drill_"
PointValue = str | int | float | bool | None


class _Params:
    """Named parameters, in the order they are bound."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: dict[str, Any] = {}

    def bind(self, value: Any) -> exp.Placeholder:
        name = f"{PARAM_PREFIX}{len(self.values)}"
        self.values[name] = value
        return exp.Placeholder(this=name)

    @property
    def bigquery(self) -> bool:
        return self.dialect == "bigquery"

    def temporal(self, column: exp.Expr, value: date | datetime) -> tuple[exp.Expr, exp.Expr]:
        """The column and a date or time value, as they compare on this dialect (the value
        bound as ISO text and cast: parameters stay JSON, as runs queued elsewhere carry
        them)."""
        if self.bigquery:
            if not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day)
            at = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
            stamp = exp.DataType.build("timestamptz")
            return exp.cast(column, stamp), exp.cast(self.bind(at.isoformat(sep=" ")), stamp)
        if not isinstance(value, datetime):
            return column, exp.cast(self.bind(value.isoformat()), exp.DataType.build("date"))
        kind = "timestamptz" if value.tzinfo else "timestamp"
        return column, exp.cast(self.bind(value.isoformat(sep=" ")), exp.DataType.build(kind))


def _column(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _range(params: _Params, value: DashboardFilterValue) -> list[exp.Expr]:
    """A date range: from its start, through its end (a date's whole day)."""
    conditions: list[exp.Expr] = []
    if value.start is not None:
        lhs, start = params.temporal(_column(value.column), value.start)
        conditions.append(exp.GTE(this=lhs, expression=start))
    end = value.end
    if end is not None:
        whole_day = not isinstance(end, datetime)
        lhs, bound = params.temporal(
            _column(value.column), end + timedelta(days=1) if whole_day else end
        )
        kind = exp.LT if whole_day else exp.LTE
        conditions.append(kind(this=lhs, expression=bound))
    return conditions


def _values(params: _Params, value: DashboardFilterValue) -> exp.Expr:
    """A list of values (dates among them compare as dates or times)."""
    column: exp.Expr = _column(value.column)
    bound: list[exp.Expr] = []
    for item in value.values or []:
        if isinstance(item, date):
            column, literal = params.temporal(_column(value.column), item)
            bound.append(literal)
        else:
            bound.append(params.bind(item))
    return exp.In(this=column, expressions=bound)


def _filter(params: _Params, value: DashboardFilterValue) -> list[exp.Expr]:
    if value.values:
        return [_values(params, value)]
    if value.start is not None or value.end is not None:
        return _range(params, value)
    return []


def moment(value: PointValue) -> datetime:
    """A mark's value on a time axis (ISO text, or milliseconds since the epoch as Vega holds
    dates) as a moment in UTC; ``ValueError`` if it is neither."""
    if isinstance(value, bool) or value is None:
        raise ValueError("a time")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return found.astimezone(UTC) if found.tzinfo else found.replace(tzinfo=UTC)


def _point(params: _Params, spec: ChartSpec, column: str, value: PointValue) -> exp.Expr:
    if value is None:
        return exp.Is(this=_column(column), expression=exp.Null())
    if spec.time is not None and column == spec.time.column:
        at = moment(value)
        if params.bigquery:
            text, kind = at.isoformat(sep=" "), "timestamptz"
        else:
            text, kind = at.replace(tzinfo=None).isoformat(sep=" "), "timestamp"
        bound = exp.cast(params.bind(text), exp.DataType.build(kind))
        truncated = time_bucket(params.dialect, column, spec.time.grain)
        return exp.EQ(this=truncated, expression=bound)
    return exp.EQ(this=_column(column), expression=params.bind(value))


def drill_sql(
    spec: ChartSpec,
    dialect: str,
    source: exp.Expression,
    values: Sequence[DashboardFilterValue] = (),
    point: Mapping[str, PointValue] | None = None,
) -> tuple[str, dict[str, Any]]:
    """``SELECT *`` from ``source`` under the chart's filters, the dashboard's filter
    ``values`` and the mark's ``point``; returns the SQL and its named parameters. Raises
    ``ValueError`` for a time-axis value that is not a time."""
    params = _Params(dialect)
    conditions = [filter_condition(dialect, f) for f in spec.filters]
    for filtered in values:
        conditions += _filter(params, filtered)
    for column, value in (point or {}).items():
        conditions.append(_point(params, spec, column, value))
    query = exp.select(exp.Star()).from_(source.copy())
    if conditions:
        query = query.where(exp.and_(*conditions))
    sql = query.sql(dialect=dialect, comments=False)
    if dialect == "postgres":
        sql = _escape_percent(sql, params.values)
    return sql, params.values


def _escape_percent(sql: str, names: Mapping[str, Any]) -> str:
    """PostgreSQL's driver reads ``%`` as the start of a parameter once parameters are
    given: double every other ``%`` (one in a saved query's ``LIKE 'a%'``, say)."""
    sql = sql.replace("%", "%%")
    for name in names:
        sql = sql.replace(f"%%({name})s", f"%({name})s")
    return sql
