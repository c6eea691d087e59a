"""The on-disk results store: one Arrow IPC file per run, within a size budget."""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc


class ResultMissing(LookupError):
    """The result was never stored, or was evicted to stay within the budget."""


@dataclass(frozen=True)
class ResultPage:
    """A slice of a stored result."""

    schema: pa.Schema
    rows: pa.Table
    offset: int
    total_rows: int


class ResultWriter:
    """Writes one result batch by batch into a temporary file, published on :meth:`commit`."""

    def __init__(self, store: ResultsStore, run_id: str, schema: pa.Schema) -> None:
        self._store = store
        self._run_id = run_id
        self._tmp = store.directory / f".{run_id}.{uuid.uuid4().hex}.tmp"
        self._sink = pa.OSFile(str(self._tmp), "wb")
        self._writer = ipc.new_file(self._sink, schema)
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Append a batch."""
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def commit(self) -> int:
        """Publish the result; returns its size in bytes."""
        self._writer.close()
        self._sink.close()
        path = self._store.path(self._run_id)
        os.replace(self._tmp, path)
        size = path.stat().st_size
        self._store.added(path, size)
        return size

    def abort(self) -> None:
        """Discard what was written."""
        with contextlib.suppress(Exception):
            self._writer.close()
        with contextlib.suppress(Exception):
            self._sink.close()
        self._tmp.unlink(missing_ok=True)


class ResultsStore:
    """Arrow files in a folder; beyond ``budget_bytes`` the oldest are evicted."""

    def __init__(self, directory: Path, budget_bytes: int) -> None:
        self.directory = directory
        self.budget_bytes = budget_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        for stale in directory.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        self._total = sum(p.stat().st_size for p in directory.glob("*.arrow"))

    def path(self, run_id: str) -> Path:
        """Where a run's result lives."""
        if not run_id.isalnum():
            raise ResultMissing(run_id)
        return self.directory / f"{run_id}.arrow"

    def writer(self, run_id: str, schema: pa.Schema) -> ResultWriter:
        """Start writing a run's result."""
        return ResultWriter(self, run_id, schema)

    def exists(self, run_id: str) -> bool:
        """Whether a run's result is stored."""
        return self.path(run_id).exists()

    def total_bytes(self) -> int:
        """Bytes used by stored results."""
        return self._total

    def added(self, path: Path, size: int) -> None:
        """Account for a new result and evict the oldest others beyond the budget."""
        with self._lock:
            self._total += size
            if self._total <= self.budget_bytes:
                return
            files = sorted(
                (p for p in self.directory.glob("*.arrow") if p != path),
                key=lambda p: p.stat().st_mtime,
            )
            self._total = sum(p.stat().st_size for p in files) + size
            for old in files:
                if self._total <= self.budget_bytes:
                    break
                with contextlib.suppress(FileNotFoundError):
                    self._total -= old.stat().st_size
                    old.unlink()

    def delete(self, run_id: str) -> None:
        """Remove a run's result."""
        path = self.path(run_id)
        with self._lock, contextlib.suppress(FileNotFoundError):
            self._total -= path.stat().st_size
            path.unlink()

    @contextlib.contextmanager
    def _open(self, run_id: str, mapped: bool = True) -> Iterator[ipc.RecordBatchFileReader]:
        path = str(self.path(run_id))
        try:
            source = pa.memory_map(path, "r") if mapped else pa.OSFile(path, "rb")
        except FileNotFoundError as exc:
            raise ResultMissing(run_id) from exc
        with source:
            yield ipc.open_file(source)

    def schema(self, run_id: str) -> pa.Schema:
        """A stored result's schema."""
        with self._open(run_id) as reader:
            return reader.schema

    def page(self, run_id: str, offset: int, limit: int) -> ResultPage:
        """Rows ``offset`` to ``offset + limit`` of a stored result."""
        with self._open(run_id) as reader:
            batches: list[pa.RecordBatch] = []
            total = 0
            end = offset + limit
            for i in range(reader.num_record_batches):
                batch = reader.get_batch(i)
                start, total = total, total + batch.num_rows
                if total > offset and start < end:
                    lo = max(offset - start, 0)
                    batches.append(batch.slice(lo, min(end, total) - start - lo))
            rows = pa.Table.from_batches(batches, schema=reader.schema).combine_chunks()
            return ResultPage(reader.schema, rows, offset, total)

    def batches(self, run_id: str) -> Iterator[pa.RecordBatch]:
        """Every batch of a stored result, in order, read one at a time.

        Read rather than memory-mapped: a whole export would otherwise map the whole file into
        the server's memory.
        """
        with self._open(run_id, mapped=False) as reader:
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)
