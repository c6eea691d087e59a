"""The filesystem results store, shared by every server and worker that reaches it: one
zstd-compressed Arrow file per run under a URL pyarrow opens (``file:///shared/mount``,
``gs://bucket/prefix``, ``s3://bucket/prefix``) or, failing that, fsspec (``memory://``, ...).

A page reads the file's footer and the batches it covers, never the whole file. The budget is
best-effort: each process counts what it wrote and deleted (from one listing), and beyond the
budget deletes the oldest files it lists. On object stores, prefer a lifecycle rule that
deletes objects after a day; :meth:`FilesystemStore.sweep` deletes results past the TTL too.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import fsspec  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.ipc as ipc

from belvedere.results.arrowfile import ArrowFileReads, BatchFile
from belvedere.results.base import SUFFIX, ResultMissing, ResultsUnavailable, checked
from belvedere.units import human_bytes

TMP_SUFFIX = ".tmp"
#: Filesystems (pyarrow's type names, fsspec's protocols) that publish a file whole when it is
#: closed, and copy rather than move: written straight to the result's name.
OBJECT_STORES = frozenset({"s3", "s3a", "gcs", "gs", "abfs", "abfss", "az", "adl", "oss"})


def open_filesystem(url: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem of ``url`` and the path it names there: pyarrow's own where it has one,
    else fsspec's (raises ``ValueError`` for a URL neither knows)."""
    try:
        filesystem, path = pafs.FileSystem.from_uri(url)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        try:
            fs, path = fsspec.core.url_to_fs(url)
        except (ValueError, ImportError) as exc:
            raise ValueError(f"BELVEDERE_RESULTS_URL: no filesystem opens {url!r} ({exc})") from exc
        filesystem = pafs.PyFileSystem(pafs.FSSpecHandler(fs))
    return filesystem, str(path).rstrip("/")


class FilesystemWriter:
    """Writes one result: into a temporary file moved into place on :meth:`commit` where the
    filesystem moves files; straight to its name on object stores (published on close)."""

    def __init__(self, store: FilesystemStore, run_id: str, schema: pa.Schema) -> None:
        self._store = store
        self._path = store.path(run_id)
        self._target = (
            f"{store.root}/.{run_id}.{uuid.uuid4().hex}{TMP_SUFFIX}" if store.moves else self._path
        )
        self._sink = store.fs.open_output_stream(self._target)
        self._file = BatchFile(self._sink, schema, compression="zstd")
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Append a batch."""
        self._file.write(batch)
        self.rows += batch.num_rows

    def commit(self) -> int:
        """Publish the result; returns its size in bytes."""
        self._file.close()
        size = int(self._sink.tell())
        self._sink.close()
        if self._target != self._path:
            self._store.fs.move(self._target, self._path)
        self._store.added(self._path, size)
        return size

    def abort(self) -> None:
        """Discard what was written."""
        with contextlib.suppress(Exception):
            self._sink.close()
        with contextlib.suppress(Exception):
            self._store.fs.delete_file(self._target)


class FilesystemStore(ArrowFileReads):
    """Arrow files under a filesystem URL; results older than ``ttl_seconds`` go at
    :meth:`sweep`, and the oldest beyond ``budget_bytes`` as results are added."""

    def __init__(self, url: str, budget_bytes: int, ttl_seconds: int) -> None:
        self.url = url
        self.budget_bytes = budget_bytes
        self.ttl_seconds = ttl_seconds
        self.fs, self.root = open_filesystem(url)
        #: Whether a result is written aside then moved into place (object stores publish on
        #: close, and copy to move).
        self.moves = not set(re.findall(r"\w+", self.fs.type_name)) & OBJECT_STORES
        if self.fs.type_name == "local":
            self.fs.create_dir(self.root, recursive=True)
        self._lock = threading.Lock()
        self._total: int | None = None

    def path(self, run_id: str) -> str:
        """Where a run's result lives."""
        return f"{self.root}/{checked(run_id)}{SUFFIX}"

    def writer(self, run_id: str, schema: pa.Schema) -> FilesystemWriter:
        """Start writing a run's result."""
        return FilesystemWriter(self, run_id, schema)

    def exists(self, run_id: str) -> bool:
        """Whether a run's result is stored."""
        return bool(self.fs.get_file_info(self.path(run_id)).type == pafs.FileType.File)

    def delete(self, run_id: str) -> None:
        """Remove a run's result."""
        info = self.fs.get_file_info(self.path(run_id))
        if info.type != pafs.FileType.File:
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(info.path)
        with self._lock:
            if self._total is not None:
                self._total = max(self._total - (info.size or 0), 0)

    def total_bytes(self) -> int:
        """Bytes of the results stored, as this process counts them (best-effort)."""
        with self._lock:
            if self._total is None:
                self._total = sum(info.size or 0 for info in self._results())
            return self._total

    def added(self, path: str, size: int) -> None:
        """Account for a new result and delete the oldest others beyond the budget."""
        with self._lock:
            if self._total is not None and self._total + size <= self.budget_bytes:
                self._total += size
                return
            others = sorted(
                (info for info in self._results() if info.path != path),
                key=lambda info: info.mtime_ns or 0,
            )
            self._total = sum(info.size or 0 for info in others) + size
            for old in others:
                if self._total <= self.budget_bytes:
                    break
                with contextlib.suppress(FileNotFoundError):
                    self.fs.delete_file(old.path)
                self._total -= old.size or 0

    def sweep(self) -> int:
        """Delete results (and abandoned temporary files) older than the TTL; how many
        results were deleted."""
        cutoff = (time.time() - self.ttl_seconds) * 1e9
        deleted = 0
        for info in self._listing():
            if info.mtime_ns is None or info.mtime_ns > cutoff:
                continue
            with contextlib.suppress(FileNotFoundError):
                self.fs.delete_file(info.path)
            deleted += info.base_name.endswith(SUFFIX)
        with self._lock:
            self._total = None  # counted again when next asked
        return deleted

    def describe(self) -> str:
        """The URL (without credentials), and how full the store is."""
        parts = urlsplit(self.url)
        where = f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
        used, budget = human_bytes(self.total_bytes()), human_bytes(self.budget_bytes)
        return f"{where} ({used} of {budget})"

    def _listing(self) -> list[pafs.FileInfo]:
        """The files under the root (results and temporary files)."""
        selector = pafs.FileSelector(self.root, allow_not_found=True)
        return [info for info in self.fs.get_file_info(selector) if info.is_file]

    def _results(self) -> list[pafs.FileInfo]:
        return [info for info in self._listing() if info.base_name.endswith(SUFFIX)]

    @contextlib.contextmanager
    def _open(self, run_id: str, *, whole: bool = False) -> Iterator[ipc.RecordBatchFileReader]:
        try:
            source = self.fs.open_input_file(self.path(run_id))
        except FileNotFoundError as exc:
            raise ResultMissing(run_id) from exc
        except OSError as exc:  # the object store or the mount is away
            raise ResultsUnavailable(f"The results store cannot be reached: {exc}") from exc
        with source:
            yield ipc.open_file(source)
