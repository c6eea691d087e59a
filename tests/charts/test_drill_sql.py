"""The SQL of the rows behind a mark, on each dialect: what the viewer sends is a parameter,
never text of the statement."""

from __future__ import annotations

import pytest

from belvedere.charts.drill_sql import drill_sql, moment
from belvedere.charts.spec import ChartSpec, DashboardFilterValue
from belvedere.charts.sql import DIALECTS, saved_query_source, source_expression

ATTACK = "' OR 1=1 --"
SPEC = ChartSpec.model_validate(
    {
        "type": "bar",
        "source": {"kind": "table", "schema": "main", "table": "sales"},
        "time": {"column": "order_date", "grain": "month"},
        "dimensions": ["channel"],
        "metrics": [{"agg": "count"}],
        "filters": [{"column": "status", "op": "eq", "value": "paid"}],
    }
)
VALUES = [
    DashboardFilterValue(column="order_date", start="2024-01-01", end="2024-01-31"),
    DashboardFilterValue(column="region", values=[ATTACK, "EMEA"]),
]
PLACEHOLDER = {"duckdb": "$", "postgres": "%(", "bigquery": "@"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_values_are_parameters(dialect: str) -> None:
    source = source_expression(dialect, schema="main", table="sales")
    point = {"channel": ATTACK, "order_date": "2024-03-01T00:00:00", "region": None}
    sql, params = drill_sql(SPEC, dialect, source, VALUES, point)
    assert "OR 1=1" not in sql and "EMEA" not in sql and "2024-0" not in sql
    assert sql.startswith("SELECT * FROM")
    assert "'paid'" in sql  # the chart's own filter, as the chart has it
    assert sum(v == ATTACK for v in params.values()) == 2
    for name in params:
        assert f"{PLACEHOLDER[dialect]}{name}" in sql
    assert all(isinstance(v, str | int | float | bool) for v in params.values())  # JSON


def test_a_month_on_the_time_axis_compares_the_truncated_time() -> None:
    source = source_expression("duckdb", schema=None, table="t")
    sql, params = drill_sql(SPEC, "duckdb", source, (), {"order_date": 1709251200000})
    assert "DATE_TRUNC('MONTH', CAST(\"order_date\" AS TIMESTAMP)) = CAST($" in sql
    assert list(params.values()) == ["2024-03-01 00:00:00"]
    with pytest.raises(ValueError):
        moment("soon")


def test_a_percent_of_a_saved_query_survives_postgres_parameters() -> None:
    source = saved_query_source("postgres", "SELECT * FROM t WHERE name LIKE 'a%'")
    sql, params = drill_sql(SPEC, "postgres", source, (), {"channel": "web"})
    assert "LIKE 'a%%'" in sql
    assert [f"%({name})s" in sql for name in params] == [True]


def test_bigquery_compares_dates_as_timestamps() -> None:
    source = source_expression("bigquery", schema="shop", table="sales")
    sql, params = drill_sql(SPEC, "bigquery", source, VALUES[:1])
    assert "CAST(`order_date` AS TIMESTAMP) >= CAST(@" in sql
    assert list(params.values()) == ["2024-01-01 00:00:00+00:00", "2024-02-01 00:00:00+00:00"]
