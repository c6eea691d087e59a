"""CSV rows assembled column by column with Arrow's kernels, byte for byte what pyarrow's CSV
writer produces, for batches with a time-zoned timestamp at a zero offset (BigQuery's
``TIMESTAMP`` is one): the writer formats those through the time-zone database value by value
(about 1.5 s per million values, most of a BigQuery export's time), where the same instants
formatted as naive timestamps with the zone's suffix appended cost a tenth of it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

#: Zones of offset zero, and how Arrow writes them after a timestamp.
ZERO_OFFSET_SUFFIXES = {"UTC": "Z", "Etc/UTC": "+0000", "GMT": "+0000", "+00:00": "+0000"}
#: Types whose values are written here as Arrow's writer writes them (tests compare them).
KNOWN_KINDS = (
    pa.types.is_integer,
    pa.types.is_floating,
    pa.types.is_decimal,
    pa.types.is_boolean,
    pa.types.is_date,
    pa.types.is_time,
    pa.types.is_timestamp,
    pa.types.is_string,
    pa.types.is_large_string,
    pa.types.is_null,
)


def assembles(schema: pa.Schema) -> bool:
    """Whether rows of ``schema`` are faster assembled here than by Arrow's writer: a column
    is a timestamp at a zero offset, and every column's type is one written as the writer
    writes it (others, such as binary, stay with the writer)."""
    return any(_zero_offset(f.type) for f in schema) and all(_known(f.type) for f in schema)


def csv_rows(batch: pa.RecordBatch) -> bytes:
    """The batch's rows as CSV lines (no header), as Arrow's writer quotes and formats them:
    text quoted (quotes doubled), nulls empty, every other value unquoted."""
    if batch.num_rows == 0:
        return b""
    texts = [_text(column) for column in batch.columns]
    joined = pc.binary_join_element_wise(*texts, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(joined, "\n", "")
    return _text_bytes(lines)


def _zero_offset(type_: pa.DataType) -> bool:
    return pa.types.is_timestamp(type_) and type_.tz in ZERO_OFFSET_SUFFIXES


def _known(type_: pa.DataType) -> bool:
    return any(kind(type_) for kind in KNOWN_KINDS)


def _text(column: pa.Array) -> pa.Array:
    """A column as the writer writes its values (nulls stay null)."""
    type_ = column.type
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        quoted = pc.replace_substring(column.cast(pa.string()), '"', '""')
        return pc.binary_join_element_wise('"', quoted, '"', "")
    if _zero_offset(type_):
        naive = column.cast(pa.timestamp(type_.unit))
        return pc.binary_join_element_wise(
            pc.cast(naive, pa.string()), ZERO_OFFSET_SUFFIXES[type_.tz], ""
        )
    return pc.cast(column, pa.string())


def _text_bytes(lines: pa.Array) -> bytes:
    """The characters of a string array without nulls, as one ``bytes``."""
    _, offsets, data = lines.buffers()
    bounds = pa.Array.from_buffers(pa.int32(), len(lines) + 1, [None, offsets], lines.offset)
    start, end = bounds[0].as_py(), bounds[-1].as_py()
    return data[start:end].to_pybytes() if data is not None else b""
