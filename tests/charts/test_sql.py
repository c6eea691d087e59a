"""The shape of chart SQL per dialect, and what it refuses (no warehouse needed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from belvedere.charts.spec import ChartSpec, Filter
from belvedere.charts.sql import (
    DIALECTS,
    chart_sql,
    custom_metric,
    distinct_values_sql,
    result_schema_sql,
    saved_query_source,
    source_expression,
)

TABLE = {"kind": "table", "schema": "shop", "table": "orders"}


def spec(**fields: Any) -> ChartSpec:
    return ChartSpec.model_validate({"source": TABLE, **fields})


def quoted(dialect: str, name: str) -> str:
    return f"`{name}`" if dialect == "bigquery" else f'"{name}"'


def sql_of(dialect: str, chart: ChartSpec, *extra: Filter) -> str:
    return chart_sql(
        chart, dialect, source_expression(dialect, schema="shop", table="orders"), extra
    )


def where_of(dialect: str, *filters: Filter) -> str:
    """The WHERE clause of a raw-rows table chart with ``filters``."""
    sql = sql_of(dialect, spec(type="table", filters=list(filters)))
    return sql.split(" WHERE ", 1)[1].rsplit(" LIMIT ", 1)[0]


TIME_AXIS = {
    "duckdb": 'DATE_TRUNC(\'MONTH\', CAST("at" AS TIMESTAMP)) AS "at"',
    "postgres": 'DATE_TRUNC(\'MONTH\', CAST("at" AS TIMESTAMP)) AS "at"',
    "bigquery": "TIMESTAMP_TRUNC(CAST(`at` AS TIMESTAMP), MONTH) AS `at`",
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_time_axis_is_truncated_grouped_first_and_sorted(dialect: str) -> None:
    chart = spec(
        type="line",
        time={"column": "at", "grain": "month"},
        dimensions=["region"],
        metrics=[{"agg": "sum", "column": "total"}],
        limit=50,
    )
    q = "`" if dialect == "bigquery" else '"'
    assert sql_of(dialect, chart) == (
        f"SELECT {TIME_AXIS[dialect]}, {q}region{q}, SUM({q}total{q}) AS {q}sum_total{q} "
        f"FROM {q}shop{q}.{q}orders{q} GROUP BY 1, 2 ORDER BY {q}at{q} ASC"
        + (" NULLS LAST" if dialect == "bigquery" else "")  # NULLs last everywhere
        + " LIMIT 50"
    )


@pytest.mark.parametrize(
    ("dialect", "unit"), [("duckdb", "'WEEK'"), ("postgres", "'WEEK'"), ("bigquery", "ISOWEEK")]
)
def test_weeks_start_on_monday(dialect: str, unit: str) -> None:
    chart = spec(type="line", time={"column": "at", "grain": "week"}, metrics=[{"agg": "count"}])
    assert unit in sql_of(dialect, chart)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_aggregates(dialect: str) -> None:
    metrics = [
        {"agg": "count"},
        {"agg": "count", "column": "id"},
        {"agg": "count_distinct", "column": "customer"},
        {"agg": "sum", "column": "total"},
        {"agg": "avg", "column": "total", "label": "mean total"},
        {"agg": "min", "column": "total"},
        {"agg": "max", "column": "total"},
        {"agg": "custom", "sql": "SUM(total) / NULLIF(COUNT(*), 0)", "label": "ratio"},
    ]
    sql = sql_of(dialect, spec(type="big_number", metrics=metrics))
    selects = sqlglot.parse_one(sql, read=dialect).selects
    assert [s.alias for s in selects] == [
        "count", "count_id", "count_distinct_customer", "sum_total", "mean total",
        "min_total", "max_total", "ratio",
    ]  # fmt: skip
    kinds = [type(s.this) for s in selects]
    assert kinds[:7] == [exp.Count, exp.Count, exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max]
    assert "GROUP BY" not in sql  # one row
    assert "ORDER BY" not in sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_bar_and_pie_sort_by_their_first_metric(dialect: str) -> None:
    for kind in ("bar", "pie"):
        chart = spec(
            type=kind,
            dimensions=["region"],
            metrics=[{"agg": "count"}, {"agg": "max", "column": "x"}],
        )
        nulls_last = " NULLS LAST" if dialect == "postgres" else ""  # NULLs last everywhere
        assert sql_of(dialect, chart).endswith(
            f"ORDER BY {quoted(dialect, 'count')} DESC{nulls_last} LIMIT 1000"
        )
    heat = spec(type="heatmap", dimensions=["a", "b"], metrics=[{"agg": "count"}])
    assert "ORDER BY" not in sql_of(dialect, heat)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_tables_without_metrics(dialect: str) -> None:
    raw = sql_of(dialect, spec(type="table", limit=10))
    assert raw.startswith("SELECT * FROM ")
    assert raw.endswith(" LIMIT 10")
    projection = sql_of(dialect, spec(type="table", dimensions=["a", "b"]))
    assert "GROUP BY" not in projection
    assert "DISTINCT" not in projection


DATE, STAMP, ZONED = (
    dt.date(2024, 1, 31),
    dt.datetime(2024, 1, 31, 8, 30),
    dt.datetime(2024, 1, 31, tzinfo=dt.UTC),
)


@pytest.mark.parametrize(
    ("dialect", "value", "where"),
    [
        ("duckdb", DATE, "\"d\" >= CAST('2024-01-31' AS DATE)"),
        ("duckdb", STAMP, "\"d\" >= CAST('2024-01-31 08:30:00' AS TIMESTAMP)"),
        ("duckdb", ZONED, "\"d\" >= CAST('2024-01-31 00:00:00+00:00' AS TIMESTAMPTZ)"),
        ("postgres", DATE, "\"d\" >= CAST('2024-01-31' AS DATE)"),
        ("postgres", STAMP, "\"d\" >= CAST('2024-01-31 08:30:00' AS TIMESTAMP)"),
        ("postgres", ZONED, "\"d\" >= CAST('2024-01-31 00:00:00+00:00' AS TIMESTAMPTZ)"),
        # BigQuery coerces a string literal to the column's DATE, DATETIME or TIMESTAMP type,
        # but compares no DATE with a TIMESTAMP: datetimes compare as TIMESTAMP on both sides
        ("bigquery", DATE, "`d` >= '2024-01-31'"),
        ("bigquery", STAMP, "CAST(`d` AS TIMESTAMP) >= CAST('2024-01-31 08:30:00' AS TIMESTAMP)"),
        (
            "bigquery",
            ZONED,
            "CAST(`d` AS TIMESTAMP) >= CAST('2024-01-31 00:00:00+00:00' AS TIMESTAMP)",
        ),
    ],
)
def test_temporal_literals(dialect: str, value: dt.date, where: str) -> None:
    assert where_of(dialect, Filter(column="d", op="gte", value=value)) == where


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_date_as_high_end_includes_the_whole_day(dialect: str) -> None:
    by_date = where_of(dialect, Filter(column="d", op="between", value=[None, DATE]))
    assert by_date.endswith(("< CAST('2024-02-01' AS DATE)", "< '2024-02-01'"))
    by_time = where_of(dialect, Filter(column="d", op="between", value=[None, STAMP]))
    assert "<= CAST('2024-01-31 08:30:00' AS TIMESTAMP)" in by_time
    both = where_of(dialect, Filter(column="d", op="between", value=[DATE, DATE]))
    assert ">= " in both and " AND " in both


@pytest.mark.parametrize("dialect", DIALECTS)
def test_list_filters_and_nulls(dialect: str) -> None:
    q = "`" if dialect == "bigquery" else '"'
    assert where_of(dialect, Filter(column="r", op="in", value=["a", None])) == (
        f"{q}r{q} IN ('a') OR {q}r{q} IS NULL"
    )
    assert where_of(dialect, Filter(column="r", op="in", value=[])) == "FALSE"
    assert where_of(dialect, Filter(column="r", op="not_in", value=[1, 2.5, True])) == (
        f"NOT {q}r{q} IN (1, 2.5, TRUE)"
    )
    assert where_of(dialect, Filter(column="r", op="not_in", value=[None])) == "TRUE"
    assert where_of(dialect, Filter(column="r", op="is_null")) == f"{q}r{q} IS NULL"
    assert where_of(dialect, Filter(column="r", op="not_null")) == f"NOT {q}r{q} IS NULL"


NASTY_VALUES = [
    "x' OR '1'='1",
    "1; DROP TABLE t",
    "\\' OR 1=1 --",
    "a\\",
    "line\nbreak */ --",
    "50%_off",
    "`\"';",
    "ünïcødé ✓",
]
NASTY_NAMES = [
    'it"s',
    "it's",
    "with space",
    "a`b",
    "a.b",
    "x; DROP TABLE t --",
    '"; DROP TABLE t; --',
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("op", ["eq", "ne", "gt", "in", "contains"])
def test_values_stay_literals(dialect: str, op: str) -> None:
    for value in NASTY_VALUES:
        chart = spec(
            type="table",
            filters=[{"column": "c", "op": op, "value": [value] if op == "in" else value}],
        )
        [parsed] = sqlglot.parse(sql_of(dialect, chart), read=dialect)
        assert isinstance(parsed, exp.Select)
        literals = [lit.this for lit in parsed.find_all(exp.Literal) if lit.is_string]
        assert literals == [value]
        assert {c.name for c in parsed.find_all(exp.Column)} == {"c"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_names_stay_identifiers(dialect: str) -> None:
    for name in NASTY_NAMES:
        if dialect == "bigquery" and ("`" in name or "." in name):
            continue  # BigQuery's column names can hold neither
        chart = spec(
            type="bar",
            time={"column": f"t {name}", "grain": "day"},
            dimensions=[name],
            metrics=[{"agg": "sum", "column": name, "label": f"m {name}"}],
            filters=[{"column": name, "value": 1}],
            sort=[{"by": f"m {name}"}],
        )
        sql = sql_of(dialect, chart)
        [parsed] = sqlglot.parse(sql, read=dialect)
        assert isinstance(parsed, exp.Select)
        assert {c.name for c in parsed.find_all(exp.Column)} == {name, f"t {name}", f"m {name}"}
        assert [s.alias_or_name for s in parsed.selects] == [f"t {name}", name, f"m {name}"]
        assert not list(parsed.find_all(exp.Drop))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "sql",
    [
        "1; DROP TABLE t",
        "SUM(x); DROP TABLE t",
        "SUM(x);",
        "(SELECT MAX(x) FROM t)",
        "SUM(x) + (SELECT 1)",
        "EXISTS (SELECT 1)",
        "x IN (SELECT y FROM t)",
        "DROP TABLE t",
        "SELECT 1",
        "SUM(",
        "SUM(x) FROM t",
    ],
)
def test_refused_custom_metrics(dialect: str, sql: str) -> None:
    with pytest.raises(ValueError, match=r"(?i)custom metric"):
        custom_metric(dialect, sql)
    chart = spec(type="big_number", metrics=[{"agg": "custom", "sql": sql}])
    with pytest.raises(ValueError, match="custom metric"):
        sql_of(dialect, chart)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_custom_metrics_are_parsed_not_pasted(dialect: str) -> None:
    metric = custom_metric(dialect, "sum(price * qty) AS ignored")
    assert metric.sql(dialect).upper() == "SUM(PRICE * QTY)"
    chart = spec(
        type="big_number",
        metrics=[{"agg": "custom", "sql": "SUM(x) -- */ DROP TABLE t", "label": "s"}],
    )
    sql = sql_of(dialect, chart)
    assert "DROP" not in sql
    assert "SUM(x) AS" in sql.upper().replace("X", "x")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1; SELECT 2", "one SELECT statement"),
        ("DELETE FROM t", "must be a SELECT"),
        ("CREATE TABLE t (a INT)", "must be a SELECT"),
        ("DROP TABLE t", "must be a SELECT"),
        ("SELECT 1; DROP TABLE t", "one SELECT statement"),
        ("", "one SELECT statement"),
        ("SELECT (", "could not be read"),
    ],
)
def test_refused_saved_queries(dialect: str, sql: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        saved_query_source(dialect, sql)


def test_refused_postgres_saved_queries() -> None:
    for sql in ("SELECT 1 INTO t", "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d"):
        with pytest.raises(ValueError, match=r"SELECT statement|only read"):
            saved_query_source("postgres", sql)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_saved_query_is_a_subquery(dialect: str) -> None:
    source = saved_query_source(
        dialect, "WITH a AS (SELECT 1 AS x) SELECT x FROM a UNION ALL SELECT 2;"
    )
    assert result_schema_sql(dialect, source) == (
        "SELECT * FROM (WITH a AS (SELECT 1 AS x) SELECT x FROM a UNION ALL SELECT 2) AS q LIMIT 0"
    )
    q = "`" if dialect == "bigquery" else '"'
    assert distinct_values_sql(dialect, source, "x y", 25) == (
        f"SELECT DISTINCT {q}x y{q} FROM (WITH a AS (SELECT 1 AS x) SELECT x FROM a UNION ALL "
        f"SELECT 2) AS q WHERE NOT {q}x y{q} IS NULL ORDER BY {q}x y{q} ASC"
        + (" NULLS LAST" if dialect == "bigquery" else "")
        + " LIMIT 25"
    )


def test_unknown_dialects_and_values_are_refused() -> None:
    with pytest.raises(ValueError, match="'mysql' SQL dialect"):
        source_expression("mysql", schema=None, table="t")
    with pytest.raises(ValueError, match="finite number"):
        where_of("duckdb", Filter(column="x", op="gt", value=float("nan")))


def test_sql_nested_deeper_than_sqlglot_reads_is_refused_with_a_message() -> None:
    deep = "SELECT " + "(" * 300 + "1" + ")" * 300 + " AS x"
    with pytest.raises(ValueError, match="nested too deeply"):
        saved_query_source("duckdb", deep)
