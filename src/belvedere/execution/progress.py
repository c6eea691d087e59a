"""How far running queries got: the worker running a query tells the bus what the warehouse
reports while it runs (BigQuery: bytes processed and slot time), and every process keeps the
latest counts of each run a while, for the runs API. Nothing is stored: once a run ends, its
record has the final counts."""

from __future__ import annotations

import threading

from cachetools import TTLCache

from belvedere.cluster.bus import Bus, Message, Topic
from belvedere.warehouses.base import QueryProgress

#: How many running runs, and for how long since their last report, a process remembers.
KEPT = 10_000
KEPT_SECONDS = 6 * 3600.0


def _count(value: object) -> int | None:
    """A count from a message; ``None`` unless it is a non-negative integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class ProgressBoard:
    """The latest progress of each running run, heard on the bus (this process's own runs
    included: the bus delivers its messages here at once)."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._lock = threading.Lock()
        self._latest: TTLCache[str, QueryProgress] = TTLCache(KEPT, KEPT_SECONDS)
        bus.subscribe(Topic.RUN_PROGRESS, self._heard)
        bus.subscribe(Topic.RUN_ENDED, self._ended)

    def report(self, run_id: str, progress: QueryProgress) -> None:
        """Tell every process how far ``run_id`` got (blocking briefly on a broker: call it
        from the run's worker thread, never from the event loop)."""
        self._bus.publish(
            Topic.RUN_PROGRESS,
            {
                "run": run_id,
                "bytes_processed": progress.bytes_processed,
                "slot_ms": progress.slot_ms,
            },
        )

    def get(self, run_id: str) -> QueryProgress | None:
        """The latest progress heard of ``run_id``, if any."""
        with self._lock:
            return self._latest.get(run_id)

    def _heard(self, message: Message) -> None:
        run_id = message.get("run")
        if not isinstance(run_id, str):
            return
        progress = QueryProgress(
            bytes_processed=_count(message.get("bytes_processed")),
            slot_ms=_count(message.get("slot_ms")),
        )
        with self._lock:
            self._latest[run_id] = progress

    def _ended(self, message: Message) -> None:
        with self._lock:
            self._latest.pop(str(message.get("run")), None)
