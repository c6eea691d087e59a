"""The layout of a stored result, the same in every store: an Arrow IPC file whose batches
all hold the same number of rows (the last excepted), recorded in the schema's metadata, so
that a page reads the footer and only the batches it covers (plus the last one, whose rows
give the total), never the whole file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Literal

import pyarrow as pa
import pyarrow.ipc as ipc

from belvedere.results.base import ResultPage

#: Schema metadata key: the rows of every batch but the last.
BATCH_ROWS_KEY = b"belvedere.batch_rows"
#: About how many bytes (uncompressed) a stored batch holds.
BATCH_BYTES = 1024 * 1024
MAX_BATCH_ROWS = 65536

Compression = Literal["zstd", "lz4"] | None


class BatchFile:
    """Writes batches into ``sink`` as an Arrow file of even batches. The rows of a batch are
    chosen from the first rows written (about :data:`BATCH_BYTES` each); the file starts
    then, or at :meth:`close`."""

    def __init__(
        self, sink: pa.NativeFile, schema: pa.Schema, compression: Compression = None
    ) -> None:
        self._sink = sink
        self._schema = schema
        self._options = ipc.IpcWriteOptions(compression=compression)
        self._writer: ipc.RecordBatchFileWriter | None = None
        self._batch_rows = 0
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Append a batch's rows."""
        if batch.num_rows == 0:
            return
        if self._writer is None:
            per_row = max(batch.nbytes // batch.num_rows, 1)
            self._start(max(1, min(MAX_BATCH_ROWS, BATCH_BYTES // per_row)))
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= self._batch_rows:
            self._flush(whole_only=True)

    def close(self) -> None:
        """Write the rows left and the footer; the sink stays open."""
        if self._writer is None:
            self._start(MAX_BATCH_ROWS)
        if self._pending_rows:
            self._flush(whole_only=False)
        assert self._writer is not None
        self._writer.close()

    def _start(self, batch_rows: int) -> None:
        self._batch_rows = batch_rows
        metadata = {**(self._schema.metadata or {}), BATCH_ROWS_KEY: str(batch_rows).encode()}
        schema = self._schema.with_metadata(metadata)
        self._writer = ipc.new_file(self._sink, schema, options=self._options)

    def _flush(self, *, whole_only: bool) -> None:
        """Write the pending rows as batches of the file's size (the rows left over stay
        pending if ``whole_only``)."""
        assert self._writer is not None
        table = pa.Table.from_batches(self._pending, schema=self._pending[0].schema)
        end = table.num_rows
        if whole_only:
            end -= end % self._batch_rows
        for start in range(0, end, self._batch_rows):
            rows = table.slice(start, min(self._batch_rows, end - start)).combine_chunks()
            self._writer.write_batch(rows.to_batches()[0])
        rest = table.slice(end)
        self._pending = rest.to_batches()
        self._pending_rows = rest.num_rows


def stored_schema(reader: ipc.RecordBatchFileReader) -> pa.Schema:
    """A stored result's schema as it was given (without the layout's metadata)."""
    metadata = dict(reader.schema.metadata or {})
    metadata.pop(BATCH_ROWS_KEY, None)
    return reader.schema.with_metadata(metadata) if metadata else reader.schema.remove_metadata()


def read_page(reader: ipc.RecordBatchFileReader, offset: int, limit: int) -> ResultPage:
    """Rows ``offset`` to ``offset + limit`` of an open result file."""
    schema = stored_schema(reader)
    count = reader.num_record_batches
    raw = (reader.schema.metadata or {}).get(BATCH_ROWS_KEY)
    if raw is None:  # a file of uneven batches (written before the layout): read them all
        batches, total = _slices(reader, range(count), 0, offset, limit)
    elif count == 0:
        batches, total = [], 0
    else:
        size = int(raw)
        total = (count - 1) * size + reader.get_batch(count - 1).num_rows
        first = min(offset // size, count)
        last = min((offset + limit + size - 1) // size, count)
        batches, _ = _slices(reader, range(first, last), first * size, offset, limit)
    rows = pa.Table.from_batches(
        [b.replace_schema_metadata(schema.metadata) for b in batches], schema=schema
    ).combine_chunks()
    return ResultPage(schema, rows, offset, total)


def _slices(
    reader: ipc.RecordBatchFileReader, indexes: range, start: int, offset: int, limit: int
) -> tuple[list[pa.RecordBatch], int]:
    """The parts of batches ``indexes`` (the first at row ``start``) within the page; and the
    row after the last batch read."""
    found: list[pa.RecordBatch] = []
    end = offset + limit
    total = start
    for i in indexes:
        batch = reader.get_batch(i)
        start, total = total, total + batch.num_rows
        if total > offset and start < end:
            lo = max(offset - start, 0)
            found.append(batch.slice(lo, min(end, total) - start - lo))
    return found, total


def read_batches(reader: ipc.RecordBatchFileReader) -> Iterator[pa.RecordBatch]:
    """Every batch of an open result file, in order, one at a time."""
    metadata = stored_schema(reader).metadata
    for i in range(reader.num_record_batches):
        yield reader.get_batch(i).replace_schema_metadata(metadata)


class ArrowFileReads:
    """Schema, pages and batches of stored results, read the one way every store reads them:
    a store supplies :meth:`_open` (its reader of a run's file; ``ResultMissing`` if gone)."""

    def _open(
        self, run_id: str, *, whole: bool = False
    ) -> AbstractContextManager[ipc.RecordBatchFileReader]:
        """A reader of the run's file; ``whole``: it will be read to the end (an export)."""
        raise NotImplementedError

    def schema(self, run_id: str) -> pa.Schema:
        """A stored result's schema."""
        with self._open(run_id) as reader:
            return stored_schema(reader)

    def page(self, run_id: str, offset: int, limit: int) -> ResultPage:
        """Rows ``offset`` to ``offset + limit`` of a stored result."""
        with self._open(run_id) as reader:
            return read_page(reader, offset, limit)

    def batches(self, run_id: str) -> Iterator[pa.RecordBatch]:
        """Every batch of a stored result, in order, read one at a time."""
        with self._open(run_id, whole=True) as reader:
            yield from read_batches(reader)
