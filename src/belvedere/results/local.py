"""The folder results store of one host: one Arrow file per run in a local folder, within a
size budget (the oldest are evicted beyond it), read memory-mapped."""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

from belvedere.results.arrowfile import ArrowFileReads, BatchFile
from belvedere.results.base import SUFFIX, ResultMissing, checked
from belvedere.units import human_bytes


class FolderWriter:
    """Writes one result into a temporary file, published by rename on :meth:`commit`."""

    def __init__(self, store: FolderStore, run_id: str, schema: pa.Schema) -> None:
        self._store = store
        self._path = store.path(run_id)
        self._tmp = store.directory / f".{run_id}.{uuid.uuid4().hex}.tmp"
        self._sink = pa.OSFile(str(self._tmp), "wb")
        self._file = BatchFile(self._sink, schema)
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Append a batch."""
        self._file.write(batch)
        self.rows += batch.num_rows

    def commit(self) -> int:
        """Publish the result; returns its size in bytes."""
        self._file.close()
        self._sink.close()
        os.replace(self._tmp, self._path)
        size = self._path.stat().st_size
        self._store.added(self._path, size)
        return size

    def abort(self) -> None:
        """Discard what was written."""
        with contextlib.suppress(Exception):
            self._sink.close()
        self._tmp.unlink(missing_ok=True)


class FolderStore(ArrowFileReads):
    """Arrow files in a folder; beyond ``budget_bytes`` the oldest are evicted."""

    def __init__(self, directory: Path, budget_bytes: int) -> None:
        self.directory = directory
        self.budget_bytes = budget_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        for stale in directory.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        self._total = sum(p.stat().st_size for p in directory.glob(f"*{SUFFIX}"))

    def path(self, run_id: str) -> Path:
        """Where a run's result lives."""
        return self.directory / f"{checked(run_id)}{SUFFIX}"

    def writer(self, run_id: str, schema: pa.Schema) -> FolderWriter:
        """Start writing a run's result."""
        return FolderWriter(self, run_id, schema)

    def exists(self, run_id: str) -> bool:
        """Whether a run's result is stored."""
        return self.path(run_id).exists()

    def total_bytes(self) -> int:
        """Bytes used by stored results."""
        return self._total

    def describe(self) -> str:
        """The folder, and how full it is."""
        used, budget = human_bytes(self._total), human_bytes(self.budget_bytes)
        return f"{self.directory} ({used} of {budget})"

    def sweep(self) -> int:
        """Nothing to do: the budget alone bounds the folder."""
        return 0

    def added(self, path: Path, size: int) -> None:
        """Account for a new result and evict the oldest others beyond the budget."""
        with self._lock:
            self._total += size
            if self._total <= self.budget_bytes:
                return
            files = sorted(
                (p for p in self.directory.glob(f"*{SUFFIX}") if p != path),
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
    def _open(self, run_id: str, *, whole: bool = False) -> Iterator[ipc.RecordBatchFileReader]:
        """Memory-mapped for pages; read batch by batch for a whole export (mapping it whole
        would map the whole file into the server's memory)."""
        mapped = not whole
        path = str(self.path(run_id))
        try:
            source = pa.memory_map(path, "r") if mapped else pa.OSFile(path, "rb")
        except FileNotFoundError as exc:
            raise ResultMissing(run_id) from exc
        with source:
            yield ipc.open_file(source)
