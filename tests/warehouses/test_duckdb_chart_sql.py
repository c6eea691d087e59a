"""Chart SQL passes the DuckDB sandbox: the chart suites of tests/charts, run again through
``DuckDBWarehouse.query`` on read-only connections (statement checks and engine locks on)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from belvedere.warehouses.duckdb import DuckDBOptions, DuckDBWarehouse
from tests.charts.conftest import ROWS, Warehouse, as_tuple

# The suites themselves: collected here again, with the fixtures below.
from tests.charts.test_sql_demo import (  # noqa: F401
    test_dashboard_date_range,
    test_filter_values,
    test_injection_attempts_stay_values,
    test_monthly_orders,
    test_revenue_by_category,
    test_saved_query_and_its_columns,
)
from tests.charts.test_sql_run import (  # noqa: F401
    test_date_range,
    test_default_sort_and_limit,
    test_distinct_values,
    test_every_aggregate,
    test_every_filter,
    test_every_grain,
    test_saved_query_source,
    test_shapes_without_metrics_or_dimensions,
    test_sort_by_a_metric_named_like_a_column,
    test_temporal_comparisons,
)


class Result:
    """What the chart suites read of a DuckDB result: rows and column names."""

    def __init__(self, table: pa.Table) -> None:
        self.description = [(name,) for name in table.schema.names]
        self._rows = list(zip(*(c.to_pylist() for c in table.columns), strict=True))

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


class Sandboxed:
    """A DuckDB connection look-alike whose every statement goes through the backend."""

    def __init__(self, warehouse: DuckDBWarehouse) -> None:
        self.warehouse = warehouse

    def execute(self, sql: str) -> Result:
        query = self.warehouse.query(sql)
        try:
            return Result(query.run().read_all())
        finally:
            query.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """``facts`` in a DuckDB file, read through a read-only connection."""
    path = tmp_path_factory.mktemp("facts") / "facts.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE main.facts (id BIGINT, category VARCHAR, region VARCHAR, day DATE, "
            'ts TIMESTAMP, amount DOUBLE, "odd ""name"" col" VARCHAR)'
        )
        con.executemany(
            "INSERT INTO main.facts VALUES (?, ?, ?, ?, ?, ?, ?)", [as_tuple(r) for r in ROWS]
        )
    checked = Sandboxed(DuckDBWarehouse(DuckDBOptions(path=str(path))))
    yield Warehouse("duckdb", "main", lambda sql: checked.execute(sql).fetchall())
    checked.warehouse.close()


@pytest.fixture(scope="module")
def demo(demo_path: Path) -> Iterator[Sandboxed]:
    warehouse = DuckDBWarehouse(DuckDBOptions(path=str(demo_path)))
    yield Sandboxed(warehouse)
    warehouse.close()
