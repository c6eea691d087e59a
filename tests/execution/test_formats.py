"""Values and files written from stored results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from belvedere.execution.csv_rows import ZERO_OFFSET_SUFFIXES, assembles
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


def _every_kind(tz: str) -> pa.Table:
    """One column of each type a CSV export writes, with nulls and awkward values."""
    instants = [0, -1, 1_700_000_000_123_456, None, 253_402_300_799_999_999]
    return pa.table(
        {
            "id": pa.array([1, -(2**63), 2**63 - 1, None, 0], pa.int64()),
            "small": pa.array([1, None, -3, 4, 5], pa.int8()),
            "ratio": pa.array([0.1, float("nan"), float("-inf"), None, 1e300], pa.float64()),
            "amount": pa.array(
                [Decimal("1.50"), Decimal("-0.01"), None, Decimal("12345678.9"), Decimal(0)],
                pa.decimal128(38, 9),
            ),
            "big": pa.array([0, 2**64 - 1, None, 7, 8], pa.uint64()),
            "single": pa.array([0.5, None, 3.25, float("inf"), -0.0], pa.float32()),
            "wide": pa.array(
                [Decimal("-1e30"), None, Decimal("0.001"), 1, 2], pa.decimal256(40, 3)
            ),
            "ok": pa.array([True, False, None, True, False]),
            "day64": pa.array([0, None, 86_400_000, -86_400_000, 1], pa.date64()),
            "clock": pa.array([0, None, 86_399, 1, 2], pa.time32("s")),
            "day": pa.array([date(2024, 1, 1), date(1, 1, 1), None, date(9999, 12, 31), None]),
            "at": pa.array([0, 3_600_000_000, None, 86_399_999_999, 1], pa.time64("us")),
            "naive": pa.array([datetime(2024, 5, 6, 7, 8, 9), None, None, None, None]),
            'say "hi", then\nleave': pa.array(
                ["plain", 'a "quoted", comma', None, "", "line\nbreak, été 🎉"]
            ),
            "long": pa.array(["x", None, "y,z", '"', ""], pa.large_string()),
            "ts": pa.array(instants, pa.timestamp("us", tz=tz)),
            "ts_s": pa.array([0, 1, None, -1, 2], pa.timestamp("s", tz=tz)),
            "ts_ns": pa.array([0, 1, None, -1, 2], pa.timestamp("ns", tz=tz)),
            "paris": pa.array(instants, pa.timestamp("us", tz="Europe/Paris")),
            "nothing": pa.nulls(5),
        }
    )


def _arrow_csv(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    return bytes(sink.getvalue().to_pybytes())


@pytest.mark.parametrize("tz", sorted(ZERO_OFFSET_SUFFIXES))
def test_csv_with_utc_timestamps_is_what_arrows_writer_writes(tz: str) -> None:
    table = _every_kind(tz)
    assert assembles(table.schema)
    # several batches, one of them a slice (its arrays start past their buffers' start)
    batches = [*table.slice(0, 2).to_batches(), *table.slice(2).to_batches()]
    assert b"".join(csv_chunks(table.schema, batches)) == _arrow_csv(table)


def test_csv_of_columns_written_by_arrow_is_unchanged() -> None:
    table = _every_kind("UTC").append_column("raw", pa.array([b"\x00", None, b"a", b"", b"b"]))
    assert not assembles(table.schema)
    assert not assembles(_every_kind("UTC").drop_columns(["ts", "ts_s", "ts_ns"]).schema)
    assert b"".join(csv_chunks(table.schema, table.to_batches())) == _arrow_csv(table)


def test_csv_chunks_hold_many_rows() -> None:
    stamps = pa.array(range(200_000), pa.timestamp("s", tz="UTC"))
    table = pa.table({"n": pa.array(range(200_000)), "ts": stamps})
    chunks = list(csv_chunks(table.schema, table.to_batches()))
    assert len(chunks) == 1 + 4  # the header, then 65,536 rows a chunk
    assert b"".join(chunks) == _arrow_csv(table)
