"""Values and files written from stored results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from belvedere.execution.formats import csv_chunks, interval_text, json_safe


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.50"), "12.50"),
        (2**53 - 1, 2**53 - 1),
        (2**53 + 1, "9007199254740993"),
        (-(2**60), str(-(2**60))),
        (float("nan"), "nan"),
        (date(2025, 1, 2), "2025-01-02"),
        (datetime(2025, 1, 2, 3, 4, 5), "2025-01-02T03:04:05"),
        (b"\x00\x01", "AAE="),
        ({"a": [Decimal("1.0")]}, {"a": ["1.0"]}),
        (True, True),
    ],
)
def test_json_safe(value: object, expected: object) -> None:
    assert json_safe(value) == expected


@pytest.mark.parametrize(
    ("months", "days", "nanos", "text"),
    [
        (0, 1, 3 * 3600 * 10**9, "1 day 03:00:00"),
        (14, 0, 0, "1 year 2 months"),
        (0, 0, 0, "00:00:00"),
        (0, 0, 1_500_000_000, "00:00:01.5"),
        (0, -2, 0, "-2 days"),
    ],
)
def test_interval_text(months: int, days: int, nanos: int, text: str) -> None:
    assert interval_text(months, days, nanos) == text


def test_interval_values_become_text() -> None:
    array = pa.array([pa.MonthDayNano([1, 2, 0])], pa.month_day_nano_interval())
    assert json_safe(array.to_pylist()[0]) == "1 month 2 days"


def test_csv_of_an_empty_result_has_its_header() -> None:
    schema = pa.schema([("a", pa.int64()), ('say "hi"', pa.string())])
    assert b"".join(csv_chunks(schema, [])) == b'"a","say ""hi"""\n'
