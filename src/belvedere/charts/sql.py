"""One SELECT per chart, built from SQLGlot expressions for DuckDB, PostgreSQL or BigQuery.

Names become quoted identifiers and values literals escaped by SQLGlot; the only SQL text a spec
carries (a custom metric, a saved query) is parsed and checked, never pasted.

Dates and times: the time axis is ``TRUNC(CAST(col AS TIMESTAMP), grain)`` (weeks start on
Monday everywhere), so DATE, TIMESTAMP and DATETIME columns all give timestamps. In filters a
``date`` or ``datetime`` value is a typed literal on DuckDB and PostgreSQL, which compare DATE
with TIMESTAMP; BigQuery does not, so there a ``date`` is a string literal (which BigQuery
coerces to the column's DATE, DATETIME or TIMESTAMP type) and a ``datetime`` compares as
``CAST(col AS TIMESTAMP)``. A ``between`` whose high end is a ``date`` includes that whole day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.errors import SqlglotError

from belvedere.charts.spec import (
    Aggregate,
    ChartSpec,
    ChartType,
    Filter,
    Grain,
    Metric,
    Operator,
    Scalar,
)

Value = Scalar | None
FilterValue = Scalar | list[Value] | None


@dataclass(frozen=True)
class _Quirks:
    timestamp: str
    """The type the time axis is cast to before truncation (UTC on BigQuery)."""
    week: str
    """The truncation unit of a week starting on Monday."""
    string_dates: bool
    """Write ``date`` values as string literals, coerced to the column's type."""


_QUIRKS: dict[str, _Quirks] = {
    "duckdb": _Quirks("timestamp", "WEEK", string_dates=False),
    "postgres": _Quirks("timestamp", "WEEK", string_dates=False),
    # sqlglot's TIMESTAMPTZ is BigQuery's TIMESTAMP (its TIMESTAMP is BigQuery's DATETIME).
    "bigquery": _Quirks("timestamptz", "ISOWEEK", string_dates=True),
}
DIALECTS = tuple(_QUIRKS)

_SIMPLE_AGGREGATES: dict[Aggregate, type[exp.Func]] = {
    Aggregate.SUM: exp.Sum,
    Aggregate.AVG: exp.Avg,
    Aggregate.MIN: exp.Min,
    Aggregate.MAX: exp.Max,
}
_COMPARISONS: dict[Operator, type[exp.Binary]] = {
    Operator.EQ: exp.EQ,
    Operator.NE: exp.NEQ,
    Operator.GT: exp.GT,
    Operator.GTE: exp.GTE,
    Operator.LT: exp.LT,
    Operator.LTE: exp.LTE,
}
#: Nodes a custom metric may not contain: queries and statements of any kind, parameters.
_NOT_IN_METRICS = (
    exp.Query,
    exp.Subquery,
    exp.DDL,
    exp.DML,
    exp.Command,
    exp.Placeholder,
    exp.Parameter,
)


def _quirks(dialect: str) -> _Quirks:
    try:
        return _QUIRKS[dialect]
    except KeyError:
        raise ValueError(f"charts do not support the {dialect!r} SQL dialect") from None


def source_expression(dialect: str, *, schema: str | None, table: str) -> exp.Expression:
    """A table or view as a chart's source, its names quoted."""
    _quirks(dialect)
    return exp.table_(table, db=schema, quoted=True)


def saved_query_source(dialect: str, sql: str) -> exp.Expression:
    """A saved query as a chart's source: the subquery ``(...) AS q``.

    Raises ValueError, with a message for the person, unless ``sql`` is one SELECT-like query.
    """
    _quirks(dialect)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
        if len(statements) != 1:
            raise ValueError("The saved query must be one SELECT statement, not several.")
        [query] = statements
        if not isinstance(query, exp.Query) or query.args.get("into"):
            raise ValueError("The saved query must be a SELECT statement.")
        if any(isinstance(node, exp.DDL | exp.DML | exp.Command) for node in query.walk()):
            raise ValueError("The saved query must only read data.")
        query.sql(dialect=dialect)  # it must write back, as the chart's SQL will
    except SqlglotError as error:
        raise ValueError(f"The saved query could not be read as SQL: {error}") from None
    except RecursionError:
        raise ValueError("The saved query is nested too deeply to build a chart on.") from None
    return query.subquery("q")


def chart_sql(
    spec: ChartSpec, dialect: str, source: exp.Expression, extra_filters: Sequence[Filter] = ()
) -> str:
    """The chart's one SELECT from ``source``, with its filters and ``extra_filters`` (e.g. a
    dashboard's). Raises ValueError, with a message for the person, for a bad custom metric."""
    quirks = _quirks(dialect)
    select: list[exp.Expr] = []
    if spec.time:
        truncated = _truncate(quirks, spec.time.column, spec.time.grain)
        select.append(exp.alias_(truncated, spec.time.column, quoted=True))
    select += [_column(name) for name in spec.dimensions]
    keys = len(select)
    select += [
        exp.alias_(_aggregate(dialect, metric), metric.name, quoted=True) for metric in spec.metrics
    ]
    query = exp.select(*(select or [exp.Star()])).from_(source.copy())
    conditions = [_condition(quirks, f) for f in (*spec.filters, *extra_filters)]
    if conditions:
        query = query.where(exp.and_(*conditions))
    if spec.metrics and keys:  # by position: an alias may be a source column's name too
        query = query.group_by(*(exp.Literal.number(i) for i in range(1, keys + 1)))
    for column, desc in _sort(spec):
        query = query.order_by(_ordered(column, desc=desc))
    return query.limit(spec.limit).sql(dialect=dialect, comments=False)


def pretty(sql: str, dialect: str) -> str:
    """``sql`` laid out on lines and indented for reading ("View SQL"), in its dialect; as it
    is if SQLGlot cannot read it back."""
    try:
        return ";\n".join(
            sqlglot.transpile(sql, read=dialect, write=dialect, pretty=True, comments=False)
        )
    except SqlglotError:
        return sql


def result_schema_sql(dialect: str, source: exp.Expression) -> str:
    """``SELECT * FROM source LIMIT 0``: the source's columns, without rows."""
    _quirks(dialect)
    return exp.select("*").from_(source.copy()).limit(0).sql(dialect=dialect, comments=False)


def distinct_values_sql(dialect: str, source: exp.Expression, column: str, limit: int) -> str:
    """The first ``limit`` distinct non-null values of ``column``, in order."""
    _quirks(dialect)
    query = (
        exp.select(_column(column))
        .distinct()
        .from_(source.copy())
        .where(exp.Not(this=exp.Is(this=_column(column), expression=exp.Null())))
        .order_by(_ordered(column))
        .limit(limit)
    )
    return query.sql(dialect=dialect, comments=False)


def filter_condition(dialect: str, f: Filter) -> exp.Expr:
    """One of a chart's own filters as a condition, its values literals escaped by SQLGlot."""
    return _condition(_quirks(dialect), f)


def time_bucket(dialect: str, column: str, grain: Grain) -> exp.Expr:
    """The time axis of a chart: ``column`` truncated to ``grain``, as a timestamp."""
    return _truncate(_quirks(dialect), column, grain)


def _column(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _ordered(name: str, *, desc: bool = False) -> exp.Ordered:
    """Ascending or descending, NULLs last on every dialect (their defaults differ)."""
    return exp.Ordered(this=_column(name), desc=desc, nulls_first=False)


def _truncate(quirks: _Quirks, column: str, grain: Grain) -> exp.Expr:
    unit = quirks.week if grain is Grain.WEEK else grain.value.upper()
    cast = exp.cast(_column(column), exp.DataType.build(quirks.timestamp))
    return exp.TimestampTrunc(this=cast, unit=exp.var(unit))


def _aggregate(dialect: str, metric: Metric) -> exp.Expr:
    if metric.agg is Aggregate.CUSTOM:
        return custom_metric(dialect, metric.sql or "")
    if metric.agg is Aggregate.COUNT:
        return exp.Count(this=_column(metric.column) if metric.column else exp.Star())
    assert metric.column is not None  # the spec requires it
    if metric.agg is Aggregate.COUNT_DISTINCT:
        return exp.Count(this=exp.Distinct(expressions=[_column(metric.column)]))
    return _SIMPLE_AGGREGATES[metric.agg](this=_column(metric.column))


def custom_metric(dialect: str, sql: str) -> exp.Expr:
    """A custom metric's SQL as one expression (an alias is dropped).

    Raises ValueError, with a message for the person, for anything that is not one expression
    without subqueries or statements.
    """
    try:
        tokens = sqlglot.tokenize(sql, read=dialect)
        if any(token.token_type is TokenType.SEMICOLON for token in tokens):
            raise ValueError("A custom metric is one expression: remove the semicolon.")
        parsed = sqlglot.parse_one(sql, read=dialect)
        sqlglot.parse_one(parsed.sql(dialect=dialect), read=dialect)  # it must write back too
    except SqlglotError as error:
        raise ValueError(f"The custom metric could not be read as SQL: {error}") from None
    except RecursionError:
        raise ValueError("The custom metric is nested too deeply.") from None
    if isinstance(parsed, exp.Alias):
        parsed = parsed.this
    if not isinstance(parsed, exp.Condition) or any(
        isinstance(node, _NOT_IN_METRICS) for node in parsed.walk()
    ):
        raise ValueError("A custom metric is one expression, e.g. SUM(price * quantity).")
    return parsed


def _sort(spec: ChartSpec) -> list[tuple[str, bool]]:
    if spec.sort:
        return [(s.by, s.desc) for s in spec.sort]
    if spec.time:
        return [(spec.time.column, False)]
    if spec.type in (ChartType.BAR, ChartType.PIE) and spec.metrics:
        return [(spec.metrics[0].name, True)]
    return []


# -- filters ------------------------------------------------------------------------------------


def _condition(quirks: _Quirks, f: Filter) -> exp.Expr:
    column = _column(f.column)
    if f.op is Operator.IS_NULL:
        return exp.Is(this=column, expression=exp.Null())
    if f.op is Operator.NOT_NULL:
        return exp.Not(this=exp.Is(this=column, expression=exp.Null()))
    if f.op is Operator.CONTAINS:
        text = exp.cast(column, exp.DataType.build("text"))
        found = exp.StrPosition(this=text, substr=exp.Literal.string(_text(f.value)))
        return exp.GT(this=found, expression=exp.Literal.number(0))
    if f.op is Operator.BETWEEN:
        return _between(quirks, f.column, _values(f.value))
    if f.op in (Operator.IN, Operator.NOT_IN):
        return _membership(quirks, f.column, _values(f.value), negate=f.op is Operator.NOT_IN)
    lhs, [rhs] = _operands(quirks, f.column, [_scalar(f.value)])
    return _COMPARISONS[f.op](this=lhs, expression=rhs)


def _between(quirks: _Quirks, column: str, bounds: list[Value]) -> exp.Expr:
    low, high = bounds
    conditions: list[exp.Expr] = []
    if low is not None:
        lhs, [rhs] = _operands(quirks, column, [low])
        conditions.append(exp.GTE(this=lhs, expression=rhs))
    if isinstance(high, date) and not isinstance(high, datetime):  # the whole day
        lhs, [rhs] = _operands(quirks, column, [high + timedelta(days=1)])
        conditions.append(exp.LT(this=lhs, expression=rhs))
    elif high is not None:
        lhs, [rhs] = _operands(quirks, column, [high])
        conditions.append(exp.LTE(this=lhs, expression=rhs))
    return exp.and_(*conditions) if conditions else exp.true()


def _membership(quirks: _Quirks, column: str, values: list[Value], *, negate: bool) -> exp.Expr:
    present = [v for v in values if v is not None]
    condition: exp.Expr = exp.false()
    if present:
        lhs, literals = _operands(quirks, column, present)
        condition = exp.In(this=lhs, expressions=literals)
    if negate:  # NULLs are neither in nor not in a list of values
        return exp.not_(condition) if present else exp.true()
    if len(present) < len(values):
        condition = exp.or_(condition, exp.Is(this=_column(column), expression=exp.Null()))
    return condition


def _operands(
    quirks: _Quirks, column: str, values: Sequence[Scalar]
) -> tuple[exp.Expr, list[exp.Expr]]:
    """The column and the values as literals, cast to TIMESTAMP together where a
    ``datetime`` meets a column of unknown type on BigQuery."""
    if quirks.string_dates and any(isinstance(v, datetime) for v in values):
        timestamp = exp.DataType.build(quirks.timestamp)
        return exp.cast(_column(column), timestamp), [_temporal(v, timestamp) for v in values]
    return _column(column), [_literal(quirks, v) for v in values]


def _temporal(value: Scalar, timestamp: exp.DataType) -> exp.Expr:
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), timestamp)
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(f"{value.isoformat()} 00:00:00"), timestamp)
    return _literal(None, value)


def _literal(quirks: _Quirks | None, value: Scalar) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, datetime):
        kind = "timestamptz" if value.utcoffset() is not None else "timestamp"
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build(kind))
    if isinstance(value, date):
        text = exp.Literal.string(value.isoformat())
        return text if quirks and quirks.string_dates else exp.cast(text, "date")
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"A filter value must be a finite number, not {value}.")
        return exp.Literal.number(repr(value))
    return exp.Literal.string(value)


def _values(value: FilterValue) -> list[Value]:
    assert isinstance(value, list)  # the spec gives list-valued operators lists
    return value


def _scalar(value: FilterValue) -> Scalar:
    assert value is not None  # the spec checks it
    assert not isinstance(value, list)
    return value


def _text(value: FilterValue) -> str:
    value = _scalar(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
