"""Chart SQL run for real on DuckDB, PostgreSQL and the BigQuery emulator, against ``facts``
(tests/charts/conftest.py), each result checked against the same data in Python."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from belvedere.charts.spec import ChartSpec, DashboardFilterValue, Filter, Grain
from belvedere.charts.sql import chart_sql, distinct_values_sql, result_schema_sql
from tests.charts.conftest import CATEGORIES, COLUMNS, ODD, ROWS, Fact, Warehouse

SOURCE = {"kind": "table", "table": "facts"}


def chart(**fields: Any) -> ChartSpec:
    return ChartSpec.model_validate({"source": SOURCE, **fields})


def ids(warehouse: Warehouse, *filters: Filter, extra: list[Filter] | None = None) -> set[int]:
    """The ids of the raw rows (a table chart without dimensions or metrics) kept."""
    spec = chart(type="table", filters=list(filters))
    sql = chart_sql(spec, warehouse.dialect, warehouse.facts, extra or [])
    rows = warehouse.run(sql)
    assert all(len(row) == len(COLUMNS) for row in rows)
    return {row[0] for row in rows}


def expected(keep: Callable[[Fact], bool]) -> set[int]:
    return {r.id for r in ROWS if keep(r)}


def truncate(value: dt.date, grain: Grain) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    match grain:
        case Grain.HOUR:
            return moment.replace(minute=0, second=0, microsecond=0)
        case Grain.DAY:
            return day
        case Grain.WEEK:
            return day - dt.timedelta(days=day.weekday())
        case Grain.MONTH:
            return day.replace(day=1)
        case Grain.QUARTER:
            return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        case Grain.YEAR:
            return day.replace(month=1, day=1)


def test_every_aggregate(warehouse: Warehouse) -> None:
    metrics = [
        {"agg": "count"},
        {"agg": "count", "column": "region"},
        {"agg": "count_distinct", "column": "region"},
        {"agg": "sum", "column": "amount"},
        {"agg": "avg", "column": "amount"},
        {"agg": "min", "column": "amount"},
        {"agg": "max", "column": "amount"},
        {"agg": "custom", "sql": "SUM(amount) / COUNT(*) + MAX(id)", "label": "mixed"},
    ]
    spec = chart(type="bar", dimensions=["category"], metrics=metrics, sort=[{"by": "category"}])
    rows = warehouse.run(chart_sql(spec, warehouse.dialect, warehouse.facts))

    groups: dict[str, list[Fact]] = defaultdict(list)
    for r in ROWS:
        groups[r.category].append(r)
    want = []
    for category in sorted(groups):
        facts = groups[category]
        amounts = [r.amount for r in facts]
        regions = [r.region for r in facts if r.region is not None]
        mean = sum(amounts) / len(facts)
        want.append(
            (
                category,
                len(facts),
                len(regions),
                len(set(regions)),
                sum(amounts),
                mean,
                min(amounts),
            )
        )
        want[-1] += (max(amounts), mean + max(r.id for r in facts))
    assert [row[0] for row in rows] == [w[0] for w in want]
    for row, wanted in zip(rows, want, strict=True):
        assert row[1:] == pytest.approx(wanted[1:])


@pytest.mark.parametrize("column", ["day", "ts"])
@pytest.mark.parametrize("grain", list(Grain))
def test_every_grain(warehouse: Warehouse, grain: Grain, column: str) -> None:
    if warehouse.dialect == "bigquery" and grain is Grain.WEEK:
        pytest.skip("the emulator lacks BigQuery's ISOWEEK (its WEEK starts on Monday, not Sunday)")
    spec = chart(
        type="line",
        time={"column": column, "grain": grain},
        metrics=[{"agg": "count"}, {"agg": "sum", "column": "amount"}],
    )
    rows = warehouse.run(chart_sql(spec, warehouse.dialect, warehouse.facts))

    counts: Counter[dt.datetime] = Counter()
    sums: dict[dt.datetime, float] = defaultdict(float)
    for r in ROWS:
        key = truncate(getattr(r, column), grain)
        counts[key] += 1
        sums[key] += r.amount
    assert rows == [(key, counts[key], pytest.approx(sums[key])) for key in sorted(counts)]


FILTERS: list[tuple[str, dict[str, Any], Callable[[Fact], bool]]] = [
    ("eq", {"column": "category", "value": "apple"}, lambda r: r.category == "apple"),
    ("ne", {"column": "category", "op": "ne", "value": "apple"}, lambda r: r.category != "apple"),
    (
        "in",
        {"column": "region", "op": "in", "value": ["north", None]},
        lambda r: r.region in ("north", None),
    ),
    ("in_empty", {"column": "region", "op": "in", "value": []}, lambda r: False),
    (
        "not_in",
        {"column": "category", "op": "not_in", "value": ["apple", "cherry"]},
        lambda r: r.category not in ("apple", "cherry"),
    ),
    ("gt", {"column": "amount", "op": "gt", "value": 50}, lambda r: r.amount > 50),
    ("gte", {"column": "amount", "op": "gte", "value": 50.0}, lambda r: r.amount >= 50),
    ("lt", {"column": "id", "op": "lt", "value": 7}, lambda r: r.id < 7),
    ("lte", {"column": "id", "op": "lte", "value": 7}, lambda r: r.id <= 7),
    (
        "between",
        {"column": "amount", "op": "between", "value": [10, 20.5]},
        lambda r: 10 <= r.amount <= 20.5,
    ),
    (
        "between_open_low",
        {"column": "id", "op": "between", "value": [None, 3]},
        lambda r: r.id <= 3,
    ),
    (
        "between_open_high",
        {"column": "id", "op": "between", "value": [58, None]},
        lambda r: r.id >= 58,
    ),
    ("between_open", {"column": "id", "op": "between", "value": [None, None]}, lambda r: True),
    (
        "contains",
        {"column": "category", "op": "contains", "value": "err"},
        lambda r: "err" in r.category,
    ),
    # LIKE's wildcards and a quote are plain characters to contains
    (
        "contains_percent",
        {"column": "category", "op": "contains", "value": "%"},
        lambda r: "%" in r.category,
    ),
    (
        "contains_underscore",
        {"column": "category", "op": "contains", "value": "_"},
        lambda r: "_" in r.category,
    ),
    (
        "contains_quote",
        {"column": "category", "op": "contains", "value": "' OR '"},
        lambda r: "'" in r.category,
    ),
    ("contains_number", {"column": "id", "op": "contains", "value": 5}, lambda r: "5" in str(r.id)),
    ("is_null", {"column": "region", "op": "is_null"}, lambda r: r.region is None),
    ("not_null", {"column": "region", "op": "not_null"}, lambda r: r.region is not None),
    # values that would be SQL if they were pasted: here, literals that match what they say
    (
        "injection_value",
        {"column": "category", "value": "x' OR '1'='1"},
        lambda r: r.category == "x' OR '1'='1",
    ),
    (
        "injection_statement",
        {"column": "category", "value": "1; DROP TABLE facts"},
        lambda r: False,
    ),
    ("injection_backslash", {"column": "category", "value": "\\' OR 1=1 --"}, lambda r: False),
    ("odd_column", {"column": ODD, "op": "in", "value": ["v1", "v2"]}, lambda r: r.odd != "v0"),
]


@pytest.mark.parametrize(("case", "raw", "keep"), FILTERS, ids=[f[0] for f in FILTERS])
def test_every_filter(
    warehouse: Warehouse, case: str, raw: dict[str, Any], keep: Callable[[Fact], bool]
) -> None:
    assert ids(warehouse, Filter.model_validate(raw)) == expected(keep)
    assert len(ids(warehouse)) == len(ROWS)  # the table is still there, whole


D = dt.date
T = dt.datetime
RANGES: list[tuple[str, list[Any], Callable[[Fact], bool] | None]] = [
    # a plain date as the high end includes that whole day, on either column
    ("dates", [D(2024, 1, 5), D(2024, 2, 4)], lambda r: D(2024, 1, 5) <= r.day <= D(2024, 2, 4)),
    ("one_day", [D(2024, 2, 4), D(2024, 2, 4)], lambda r: r.day == D(2024, 2, 4)),
    ("open_start", [None, D(2023, 11, 21)], lambda r: r.day <= D(2023, 11, 21)),
    ("open_end", [D(2024, 4, 20), None], lambda r: r.day >= D(2024, 4, 20)),
    ("datetimes", [T(2024, 1, 5, 12), T(2024, 2, 4, 6)], None),
    ("mixed", [D(2024, 1, 5), T(2024, 2, 4, 6)], None),
]


@pytest.mark.parametrize("column", ["day", "ts"])
@pytest.mark.parametrize(("case", "bounds", "keep"), RANGES, ids=[r[0] for r in RANGES])
def test_date_range(
    warehouse: Warehouse,
    column: str,
    case: str,
    bounds: list[Any],
    keep: Callable[[Fact], bool] | None,
) -> None:
    low, high = bounds

    def inside(r: Fact) -> bool:
        value = getattr(r, column)
        moment = value if isinstance(value, T) else T.combine(value, dt.time())
        if low is not None and moment < (low if isinstance(low, T) else T.combine(low, dt.time())):
            return False
        if isinstance(high, T):
            return moment <= high
        return high is None or moment.date() <= high

    if keep is not None:  # the expectation stated by day agrees with the general one
        assert expected(keep) == expected(inside)
    want = expected(inside)
    assert 0 < len(want) < len(ROWS)
    as_filter = Filter(column=column, op="between", value=[low, high])
    assert ids(warehouse, as_filter) == want
    dashboard = DashboardFilterValue(column=column, start=low, end=high)
    assert ids(warehouse, extra=dashboard.as_filters()) == want


@pytest.mark.parametrize("column", ["day", "ts"])
@pytest.mark.parametrize("value", [D(2024, 2, 4), T(2024, 2, 4, 6)], ids=["date", "datetime"])
@pytest.mark.parametrize("op", ["eq", "gt", "gte", "lt", "lte", "in"])
def test_temporal_comparisons(warehouse: Warehouse, column: str, value: Any, op: str) -> None:
    def moment(v: Any) -> T:
        return v if isinstance(v, T) else T.combine(v, dt.time())

    compare: dict[str, Callable[[T, T], bool]] = {
        "eq": lambda a, b: a == b,
        "in": lambda a, b: a == b,
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    raw = [value] if op == "in" else value
    got = ids(warehouse, Filter(column=column, op=op, value=raw))
    assert got == expected(lambda r: compare[op](moment(getattr(r, column)), moment(value)))


def test_default_sort_and_limit(warehouse: Warehouse) -> None:
    spec = chart(
        type="bar", dimensions=['odd "name" col'], metrics=[{"agg": "sum", "column": "id"}]
    )
    rows = warehouse.run(chart_sql(spec, warehouse.dialect, warehouse.facts))
    sums: Counter[str] = Counter()
    for r in ROWS:
        sums[r.odd] += r.id
    assert rows == sorted(sums.items(), key=lambda kv: -kv[1])

    limited = chart(type="pie", dimensions=["category"], metrics=[{"agg": "count"}], limit=2)
    assert len(warehouse.run(chart_sql(limited, warehouse.dialect, warehouse.facts))) == 2


def test_sort_by_a_metric_named_like_a_column(warehouse: Warehouse) -> None:
    spec = chart(
        type="bar",
        time={"column": "day", "grain": "month"},
        dimensions=["region"],
        metrics=[{"agg": "max", "column": "id", "label": "id"}],
        filters=[{"column": "region", "op": "not_null"}],
        sort=[{"by": "day", "desc": True}, {"by": "id"}],
    )
    rows = warehouse.run(chart_sql(spec, warehouse.dialect, warehouse.facts))
    best: dict[tuple[dt.datetime, str], int] = {}
    for r in ROWS:
        if r.region is not None:
            key = (truncate(r.day, Grain.MONTH), r.region)
            best[key] = max(best.get(key, 0), r.id)
    want = sorted(
        ((k[0], k[1], v) for k, v in best.items()), key=lambda t: (-t[0].timestamp(), t[2])
    )
    assert rows == want


def test_shapes_without_metrics_or_dimensions(warehouse: Warehouse) -> None:
    big = chart(type="big_number", metrics=[{"agg": "sum", "column": "amount"}])
    assert warehouse.run(chart_sql(big, warehouse.dialect, warehouse.facts)) == [
        (pytest.approx(sum(r.amount for r in ROWS)),)
    ]
    projection = chart(type="table", dimensions=["category", ODD], sort=[{"by": ODD}], limit=5)
    rows = warehouse.run(chart_sql(projection, warehouse.dialect, warehouse.facts))
    assert len(rows) == 5
    assert all(len(row) == 2 and row[0] in CATEGORIES for row in rows)
    assert [row[1] for row in rows] == ["v0"] * 5


def test_saved_query_source(warehouse: Warehouse) -> None:
    source = warehouse.saved("SELECT category, amount, day FROM {facts} WHERE amount > 10;")
    spec = chart(
        type="bar",
        dimensions=["category"],
        metrics=[{"agg": "sum", "column": "amount"}],
        filters=[{"column": "day", "op": "between", "value": [None, "2024-03-01"]}],
        sort=[{"by": "category"}],
    )
    rows = warehouse.run(chart_sql(spec, warehouse.dialect, source))
    sums: dict[str, float] = defaultdict(float)
    for r in ROWS:
        if r.amount > 10 and r.day <= D(2024, 3, 1):
            sums[r.category] += r.amount
    assert rows == [(k, pytest.approx(v)) for k, v in sorted(sums.items())]

    schema = warehouse.run(result_schema_sql(warehouse.dialect, source))
    assert schema == []


def test_distinct_values(warehouse: Warehouse) -> None:
    sql = distinct_values_sql(warehouse.dialect, warehouse.facts, "region", 10)
    assert warehouse.run(sql) == [("north",), ("south",)]
    sql = distinct_values_sql(warehouse.dialect, warehouse.facts, ODD, 2)
    assert warehouse.run(sql) == [("v0",), ("v1",)]
