"""Stored results written out as JSON values, CSV, JSON or Parquet, batch by batch."""

from __future__ import annotations

import base64
import io
import itertools
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from belvedere.execution.csv_rows import assembles, csv_rows
from belvedere.warehouses.base import TYPE_METADATA_KEY
from belvedere.warehouses.families import Family, of_field


class ExportFormat(StrEnum):
    """Formats a result can be downloaded in."""

    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        return {
            ExportFormat.CSV: "text/csv; charset=utf-8",
            ExportFormat.JSON: "application/json",
            ExportFormat.PARQUET: "application/vnd.apache.parquet",
        }[self]


#: Integers beyond this lose precision as JavaScript numbers; they are sent as strings.
MAX_SAFE_INTEGER = 2**53 - 1


def interval_text(months: int, days: int, nanoseconds: int) -> str:
    """An interval as people write it: ``1 year 2 months 3 days 04:05:06.5``."""
    years, months = divmod(months, 12)
    parts = [
        f"{n} {unit}{'s' if abs(n) != 1 else ''}"
        for n, unit in ((years, "year"), (months, "month"), (days, "day"))
        if n
    ]
    if nanoseconds or not parts:
        sign = "-" if nanoseconds < 0 else ""
        seconds, nanos = divmod(abs(nanoseconds), 1_000_000_000)
        hours, rest = divmod(seconds, 3600)
        clock = f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        if nanos:
            clock += f".{nanos:09d}".rstrip("0")
        parts.append(clock)
    return " ".join(parts)


def json_safe(value: Any) -> Any:
    """A Python value from Arrow as a JSON value (decimals as strings, keep precision)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, pa.MonthDayNano):
        return interval_text(value.months, value.days, value.nanoseconds)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return str(value)


def table_rows(table: pa.Table) -> list[list[Any]]:
    """Rows of a table as lists of JSON values."""
    columns = [[json_safe(v) for v in python_values(column)] for column in table.columns]
    return [list(row) for row in zip(*columns, strict=True)]


def python_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """A column's values as Python objects; dates and times that Python cannot hold
    (PostgreSQL's and DuckDB's `infinity`, years past 9999) come as text instead."""
    try:
        return list(column.to_pylist())
    except (OverflowError, ValueError):
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        return [_scalar_value(array, i) for i in range(len(array))]


def _scalar_value(array: pa.Array, i: int) -> Any:
    try:
        return array[i].as_py()
    except (OverflowError, ValueError):
        one = array.slice(i, 1)
        bits = 32 if pa.types.is_date32(one.type) else 64
        raw = one.view(pa.int32() if bits == 32 else pa.int64())[0].as_py()
        if abs(raw) >= 2 ** (bits - 1) - 1:  # how DuckDB and PostgreSQL write infinity
            return "infinity" if raw > 0 else "-infinity"
        return str(pc.cast(one, pa.string())[0].as_py())


def type_name(field: pa.Field) -> str:
    """The warehouse's name of a column's type, else Arrow's."""
    metadata = field.metadata or {}
    raw = metadata.get(TYPE_METADATA_KEY)
    return raw.decode() if raw else str(field.type)


def _flat(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Nested columns (lists, structs, maps) as JSON text, which CSV can hold."""
    if not any(pa.types.is_nested(f.type) for f in batch.schema):
        return batch
    arrays, fields = [], []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_nested(field.type):
            text = [None if v is None else json.dumps(json_safe(v)) for v in python_values(column)]
            column, field = pa.array(text, pa.string()), pa.field(field.name, pa.string())
        arrays.append(column)
        fields.append(field)
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


#: Rows per chunk of a streamed JSON export: small enough to stream smoothly.
CHUNK_ROWS = 8192
#: Rows per chunk of a streamed CSV export: stored batches are about a megabyte each
#: (:data:`~belvedere.results.arrowfile.BATCH_BYTES`), so a chunk is one stored batch.
CSV_CHUNK_ROWS = 65536


def _slices(batches: Iterable[pa.RecordBatch], rows: int = CHUNK_ROWS) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        for start in range(0, batch.num_rows, rows):
            yield batch.slice(start, rows)


def csv_chunks(schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    """CSV with a header row, in chunks of up to :data:`CSV_CHUNK_ROWS` rows: rows with
    zero-offset timestamps assembled by :mod:`.csv_rows` (faster), others by Arrow's writer."""
    flat = (_flat(batch) for batch in _slices(batches, CSV_CHUNK_ROWS))
    first = next(flat, None)
    if first is None:
        yield _csv_header(schema)
    elif assembles(first.schema):
        yield _csv_header(first.schema)
        yield from map(csv_rows, itertools.chain([first], flat))
    else:
        yield from _written_csv(itertools.chain([first], flat))


def _written_csv(batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    """Batches of one schema through Arrow's CSV writer, header first, a chunk per batch."""
    sink = io.BytesIO()
    writer: pacsv.CSVWriter | None = None
    for batch in batches:
        if writer is None:
            writer = pacsv.CSVWriter(sink, batch.schema)
        writer.write_batch(batch)
        yield sink.getvalue()
        sink.seek(0)
        sink.truncate()
    if writer is not None:
        writer.close()
        if tail := sink.getvalue():
            yield tail


def _csv_header(schema: pa.Schema) -> bytes:
    return (",".join(_csv_quote(f.name) for f in schema) + "\n").encode()


def _csv_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def json_chunks(batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    """A JSON array of objects, one chunk per batch."""
    separator = "\n"
    yield b"["
    for batch in _slices(batches):
        names = batch.schema.names
        rows = table_rows(pa.Table.from_batches([batch]))
        if rows:
            objects = (json.dumps(dict(zip(names, row, strict=True))) for row in rows)
            yield (separator + ",\n".join(objects)).encode()
            separator = ",\n"
    yield b"\n]\n"


class _Sink:
    """A write-only stream that hands out what was written since the last take."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self.closed = False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._size += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def parquet_chunks(schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    """A Parquet file of the batches, one row group per batch, streamed as it is written
    (no temporary file)."""
    sink = _Sink()
    with pq.ParquetWriter(sink, schema.remove_metadata()) as writer:
        for batch in batches:
            writer.write_batch(batch)
            if chunk := sink.take():
                yield chunk
    if tail := sink.take():
        yield tail


def export_chunks(
    format: ExportFormat, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
) -> Iterator[bytes]:
    """A whole result in ``format``, chunk by chunk."""
    if format is ExportFormat.PARQUET:
        return parquet_chunks(schema, batches)
    if format is ExportFormat.JSON:
        return json_chunks(batches)
    return csv_chunks(schema, batches)


@dataclass(frozen=True)
class Column:
    """A result column: its name, the warehouse's type name, Arrow's, and its family."""

    name: str
    type: str
    arrow_type: str
    family: Family


@dataclass(frozen=True)
class JsonPage:
    """A page of a stored result as JSON values."""

    columns: list[Column]
    rows: list[list[Any]]
    offset: int
    total_rows: int


def json_page(schema: pa.Schema, rows: pa.Table, offset: int, total_rows: int) -> JsonPage:
    """Rows of a result as JSON values, with each column's names of its type."""
    columns = [Column(f.name, type_name(f), str(f.type), of_field(f)) for f in schema]
    return JsonPage(columns, table_rows(rows), offset, total_rows)
