"""Chart SQL on the demo warehouse (DuckDB, ~1M order lines in the view ``main.sales``),
checked against hand-written queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from belvedere.charts.spec import ChartSpec, DashboardFilterValue, Filter
from belvedere.charts.sql import (
    chart_sql,
    distinct_values_sql,
    result_schema_sql,
    saved_query_source,
    source_expression,
)

SALES = source_expression("duckdb", schema="main", table="sales")


@pytest.fixture(scope="module")
def demo(demo_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(demo_path), read_only=True)
    yield con
    con.close()


def sales_chart(**fields: Any) -> ChartSpec:
    source = {"kind": "table", "schema": "main", "table": "sales"}
    return ChartSpec.model_validate({"source": source, **fields})


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def test_revenue_by_category(demo: duckdb.DuckDBPyConnection) -> None:
    spec = sales_chart(
        type="bar",
        dimensions=["category"],
        metrics=[
            {"agg": "sum", "column": "line_total"},
            {"agg": "count_distinct", "column": "order_id"},
        ],
    )
    oracle = (
        "SELECT category, sum(line_total), count(DISTINCT order_id) FROM main.sales "
        "GROUP BY category ORDER BY 2 DESC"
    )
    assert rows(demo, chart_sql(spec, "duckdb", SALES)) == rows(demo, oracle)


@pytest.mark.parametrize("column", ["order_date", "ordered_at"])
def test_monthly_orders(demo: duckdb.DuckDBPyConnection, column: str) -> None:
    spec = sales_chart(
        type="line",
        time={"column": column, "grain": "month"},
        dimensions=["channel"],
        metrics=[{"agg": "count"}, {"agg": "avg", "column": "quantity"}],
        filters=[{"column": "region", "op": "in", "value": ["Europe", "Asia Pacific"]}],
        sort=[{"by": column}, {"by": "channel"}],
    )
    oracle = (
        f"SELECT CAST(date_trunc('month', {column}) AS TIMESTAMP), channel, count(*), "
        "avg(quantity) FROM main.sales WHERE region IN ('Europe', 'Asia Pacific') "
        "GROUP BY 1, 2 ORDER BY 1, 2"
    )
    got = rows(demo, chart_sql(spec, "duckdb", SALES))
    assert len(got) == 36 * 3
    assert got == rows(demo, oracle)


@pytest.mark.parametrize("column", ["order_date", "ordered_at"])
def test_dashboard_date_range(demo: duckdb.DuckDBPyConnection, column: str) -> None:
    dates = DashboardFilterValue(column=column, start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
    spec = sales_chart(type="big_number", metrics=[{"agg": "count"}])
    [(count,)] = rows(demo, chart_sql(spec, "duckdb", SALES, dates.as_filters()))
    [(march,)] = rows(
        demo,
        "SELECT count(*) FROM main.sales WHERE order_date BETWEEN '2024-03-01' AND '2024-03-31'",
    )
    assert count == march > 0


def test_injection_attempts_stay_values(demo: duckdb.DuckDBPyConnection) -> None:
    for value in ("x' OR '1'='1", "1; DROP TABLE t", "Books' --"):
        spec = sales_chart(
            type="big_number",
            metrics=[{"agg": "count"}],
            filters=[{"column": "category", "value": value}],
        )
        assert rows(demo, chart_sql(spec, "duckdb", SALES)) == [(0,)]
    odd = sales_chart(type="table", dimensions=['category" FROM main.sales --'])
    with pytest.raises(duckdb.BinderException, match="not found"):
        rows(demo, chart_sql(odd, "duckdb", SALES))


def test_saved_query_and_its_columns(demo: duckdb.DuckDBPyConnection) -> None:
    saved = saved_query_source(
        "duckdb",
        "WITH web AS (SELECT * FROM main.sales WHERE channel = 'web') "
        "SELECT region, line_total AS amount, ordered_at FROM web",
    )
    spec = sales_chart(
        type="pie",
        dimensions=["region"],
        metrics=[{"agg": "sum", "column": "amount", "label": "revenue"}],
        filters=[Filter(column="ordered_at", op="gte", value=dt.datetime(2025, 1, 1))],
    )
    oracle = (
        "SELECT region, sum(line_total) FROM main.sales WHERE channel = 'web' "
        "AND ordered_at >= TIMESTAMP '2025-01-01' GROUP BY 1 ORDER BY 2 DESC"
    )
    assert rows(demo, chart_sql(spec, "duckdb", saved)) == rows(demo, oracle)
    described = demo.execute(result_schema_sql("duckdb", saved))
    assert [d[0] for d in described.description] == ["region", "amount", "ordered_at"]
    assert described.fetchall() == []


def test_filter_values(demo: duckdb.DuckDBPyConnection) -> None:
    sql = distinct_values_sql("duckdb", SALES, "segment", 100)
    assert rows(demo, sql) == [("Consumer",), ("Enterprise",), ("Small Business",)]
