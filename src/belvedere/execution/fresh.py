"""Small results of runs that ended in this process moments ago, kept in memory, so that the
request that waited for a run answers its first read without reading the result file back.

The result file is still written (later pages, exports, the cache and other processes read
it); this copy only saves the read of a page just written. Bounded in bytes and in time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pyarrow as pa
from cachetools import TTLCache

#: A result is kept only up to these sizes (a chart's rows, a first page in SQL Lab).
MAX_ROWS = 5_000
MAX_BYTES = 512 * 1024
#: Every kept result together, and how long each is kept.
TOTAL_BYTES = 8 * 1024 * 1024
KEPT_SECONDS = 5.0


def _size(table: pa.Table) -> int:
    return max(int(table.nbytes), 1)


class FreshResults:
    """Recently written small results by run id (thread-safe)."""

    def __init__(self, timer: Callable[[], float] = time.monotonic) -> None:
        self._tables: TTLCache[str, pa.Table] = TTLCache(
            TOTAL_BYTES, KEPT_SECONDS, timer=timer, getsizeof=_size
        )
        self._lock = threading.Lock()

    @staticmethod
    def fits(rows: int, nbytes: int) -> bool:
        """Whether a result of this size is kept."""
        return rows <= MAX_ROWS and nbytes <= MAX_BYTES

    def keep(self, run_id: str, table: pa.Table) -> None:
        """Keep a run's whole result, as stored."""
        if self.fits(table.num_rows, table.nbytes):
            with self._lock:
                self._tables[run_id] = table

    def take(self, run_id: str) -> pa.Table | None:
        """A run's result if it is still kept, kept no longer: the first read is the waiter's;
        later reads go to the results store, which may have evicted it since."""
        with self._lock:
            return self._tables.pop(run_id, None)
