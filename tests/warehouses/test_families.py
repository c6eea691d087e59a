"""The one source of column type families."""

from __future__ import annotations

import pyarrow as pa
import pytest

from belvedere.warehouses.base import TYPE_METADATA_KEY
from belvedere.warehouses.families import Family, of_arrow, of_field, of_type_name


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("int64", Family.NUMERIC),
        ("uint8", Family.NUMERIC),
        ("halffloat", Family.NUMERIC),
        ("double", Family.NUMERIC),
        ("decimal128(18, 2)", Family.NUMERIC),
        ("BIGINT", Family.NUMERIC),
        ("INT64", Family.NUMERIC),
        ("FLOAT64", Family.NUMERIC),
        ("BIGNUMERIC", Family.NUMERIC),
        ("double precision", Family.NUMERIC),
        ("numeric(10,2)", Family.NUMERIC),
        ("interval", Family.OTHER),
        ("integer[]", Family.OTHER),
        ("ARRAY<INT64>", Family.OTHER),
        ("list<item: int64>", Family.OTHER),
        ("STRUCT<a INT64>", Family.OTHER),
        ("date32[day]", Family.TEMPORAL),
        ("timestamp[us, tz=UTC]", Family.TEMPORAL),
        ("time64[us]", Family.TEMPORAL),
        ("DATETIME", Family.TEMPORAL),
        ("timestamp with time zone", Family.TEMPORAL),
        ("bool", Family.BOOLEAN),
        ("BOOLEAN", Family.BOOLEAN),
        ("string", Family.TEXT),
        ("large_string", Family.TEXT),
        ("character varying", Family.TEXT),
        ("VARCHAR", Family.TEXT),
        ("binary", Family.OTHER),
        ("", Family.OTHER),
    ],
)
def test_type_names(name: str, family: Family) -> None:
    assert of_type_name(name) == family


@pytest.mark.parametrize(
    ("data_type", "family"),
    [
        (pa.int32(), Family.NUMERIC),
        (pa.float64(), Family.NUMERIC),
        (pa.decimal128(10, 2), Family.NUMERIC),
        (pa.date32(), Family.TEMPORAL),
        (pa.timestamp("us", tz="UTC"), Family.TEMPORAL),
        (pa.time64("us"), Family.TEMPORAL),
        (pa.bool_(), Family.BOOLEAN),
        (pa.string(), Family.TEXT),
        (pa.large_string(), Family.TEXT),
        (pa.dictionary(pa.int8(), pa.string()), Family.TEXT),
        (pa.list_(pa.int64()), Family.OTHER),
        (pa.struct([("a", pa.int64())]), Family.OTHER),
        (pa.binary(), Family.OTHER),
        (pa.null(), None),
    ],
)
def test_arrow_types(data_type: pa.DataType, family: Family | None) -> None:
    assert of_arrow(data_type) == family


def test_a_field_falls_back_on_the_warehouse_type_where_arrow_says_nothing() -> None:
    named = pa.field("n", pa.null(), metadata={TYPE_METADATA_KEY: b"BIGINT"})
    assert of_field(named) == Family.NUMERIC
    assert of_field(pa.field("n", pa.null())) == Family.OTHER
    # Arrow's word wins over the warehouse's name.
    text = pa.field("t", pa.string(), metadata={TYPE_METADATA_KEY: b"interval"})
    assert of_field(text) == Family.TEXT
