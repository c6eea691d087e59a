"""What every results store offers, and the one way a stored Arrow file is paged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

#: Suffix of a stored result (an Arrow IPC file).
SUFFIX = ".arrow"


class ResultMissing(LookupError):
    """The result was never stored, or was evicted (budget) or expired (TTL)."""


class ResultTooLarge(Exception):
    """A result bigger than the results store takes; the message says what to do."""


class ResultsUnavailable(Exception):
    """The results store cannot be reached."""


@dataclass(frozen=True)
class ResultPage:
    """A slice of a stored result."""

    schema: pa.Schema
    rows: pa.Table
    offset: int
    total_rows: int


class ResultWriter(Protocol):
    """Writes one result batch by batch; nothing is visible before :meth:`commit`."""

    rows: int

    def write(self, batch: pa.RecordBatch) -> None:
        """Append a batch (may raise :class:`ResultTooLarge`)."""
        ...

    def commit(self) -> int:
        """Publish the result; returns its size in bytes (may raise :class:`ResultTooLarge`)."""
        ...

    def abort(self) -> None:
        """Discard what was written (never raises)."""
        ...


class ResultsStore(Protocol):
    """Arrow results by run id. Reads of a result that is gone raise :class:`ResultMissing`;
    a store that cannot be reached raises :class:`ResultsUnavailable`. Every method blocks."""

    def writer(self, run_id: str, schema: pa.Schema) -> ResultWriter:
        """Start writing a run's result."""
        ...

    def exists(self, run_id: str) -> bool:
        """Whether a run's result is stored."""
        ...

    def delete(self, run_id: str) -> None:
        """Remove a run's result (nothing happens if it is gone)."""
        ...

    def schema(self, run_id: str) -> pa.Schema:
        """A stored result's schema."""
        ...

    def page(self, run_id: str, offset: int, limit: int) -> ResultPage:
        """Rows ``offset`` to ``offset + limit`` of a stored result, reading only the batches
        they are in."""
        ...

    def batches(self, run_id: str) -> Iterator[pa.RecordBatch]:
        """Every batch of a stored result, in order, read one at a time."""
        ...

    def total_bytes(self) -> int:
        """Bytes used by stored results."""
        ...

    def sweep(self) -> int:
        """Delete results older than the store keeps them; how many were deleted."""
        ...

    def describe(self) -> str:
        """Where results live and how full the store is, for ``belvedere doctor``."""
        ...


def checked(run_id: str) -> str:
    """A run id fit to name a file or a key (any other cannot have a result)."""
    if not run_id.isalnum():
        raise ResultMissing(run_id)
    return run_id
