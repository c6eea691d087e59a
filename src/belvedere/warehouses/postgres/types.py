"""PostgreSQL result rows to Arrow record batches, typed from the result's type OIDs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow as pa
from psycopg import Column as PgColumn
from psycopg import Connection

from belvedere.warehouses.base import TYPE_METADATA_KEY

#: PostgreSQL type name -> Arrow type; names not listed become strings.
ARROW_TYPES: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "oid": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "time": pa.time64("us"),
    "bytea": pa.binary(),
}

Converter = Callable[[Any], Any]


def _as_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode(errors="replace")
    return str(value)


def _as_float(value: Any) -> Any:
    return None if value is None else float(value)


def arrow_field(connection: Connection[Any], column: PgColumn) -> tuple[pa.Field, Converter | None]:
    """The Arrow field of a result column and the converter its values need, if any."""
    info = connection.adapters.types.get(column.type_code)
    name = info.name if info is not None else "unknown"
    is_array = info is not None and info.array_oid == column.type_code
    pg_type = f"{name}[]" if is_array else name
    converter: Converter | None = None
    if is_array:
        element = ARROW_TYPES.get(name)
        arrow_type = pa.list_(element) if element is not None else pa.string()
        if element is None:
            converter = _as_text
    elif name == "numeric":
        if column.precision is not None and column.precision <= 38:
            arrow_type = pa.decimal128(column.precision, column.scale or 0)
            pg_type = f"numeric({column.precision},{column.scale or 0})"
        else:
            arrow_type, converter = pa.float64(), _as_float
    elif name in ARROW_TYPES:
        arrow_type = ARROW_TYPES[name]
    else:
        arrow_type, converter = pa.string(), _as_text
    field = pa.field(column.name, arrow_type, metadata={TYPE_METADATA_KEY: pg_type})
    return field, converter


def to_batch(
    schema: pa.Schema, converters: Sequence[Converter | None], rows: Iterable[Sequence[Any]]
) -> pa.RecordBatch:
    """One record batch from rows (tuples)."""
    columns = list(zip(*rows, strict=True)) or [() for _ in schema]
    arrays = []
    for values, field, convert in zip(columns, schema, converters, strict=True):
        if convert is not None:
            values = tuple(convert(v) for v in values)
        elif pa.types.is_decimal(field.type):
            values = tuple(v if v is None or v.is_finite() else None for v in values)
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


__all__ = ["arrow_field", "to_batch"]
