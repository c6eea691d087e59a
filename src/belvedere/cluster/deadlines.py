"""The deadlines of a worker's active runs, kept by one thread (not a timer thread per run)."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Deadlines:
    """Calls ``expired(key)`` on its own thread once a key's time (epoch seconds) passes,
    unless the key was discarded first. Keys are small (run ids): a discarded key's entry
    waits in the heap until its time, holding nothing else."""

    def __init__(self, expired: Callable[[str], None]) -> None:
        self._expired = expired
        self._heap: list[tuple[float, str]] = []
        self._live: dict[str, float] = {}
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._keep, name="belvedere-deadlines", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, when: float, key: str) -> None:
        with self._wake:
            self._live[key] = when
            heapq.heappush(self._heap, (when, key))
            self._wake.notify()

    def discard(self, key: str) -> None:
        with self._wake:
            self._live.pop(key, None)

    def _next_expired(self) -> str | None:
        """Wait for the next live key whose time has come; ``None`` once stopped."""
        with self._wake:
            while not self._stopped:
                if not self._heap:
                    self._wake.wait()
                    continue
                when, key = self._heap[0]
                if self._live.get(key) != when:
                    heapq.heappop(self._heap)  # discarded (or added again later)
                    continue
                wait = when - time.time()
                if wait <= 0:
                    heapq.heappop(self._heap)
                    del self._live[key]
                    return key
                self._wake.wait(wait)
            return None

    def _keep(self) -> None:
        while (key := self._next_expired()) is not None:
            try:
                self._expired(key)
            except Exception:
                log.exception("ending %s at its deadline failed", key)

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout=3.0)
