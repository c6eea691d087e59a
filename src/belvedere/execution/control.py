"""In-process handle on an active run: who to interrupt when it must stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from belvedere.warehouses.base import Cancellable, Query

log = logging.getLogger(__name__)


class RunControl:
    """Links a run's supervisor (event loop) with its worker thread and warehouse query."""

    def __init__(self) -> None:
        self.ended = asyncio.Event()
        self._stop = threading.Event()
        self._query: Query | None = None
        self._lock = threading.Lock()

    @property
    def stop_requested(self) -> bool:
        """Whether the run must stop (deadline or cancel)."""
        return self._stop.is_set()

    def attach(self, query: Query) -> None:
        """Called by the worker once its query exists; a pending stop cancels it at once."""
        with self._lock:
            self._query = query
        if self._stop.is_set():
            self._cancel(query)

    def stop(self) -> None:
        """Ask the worker and the warehouse to stop (blocking: may talk to the warehouse)."""
        self._stop.set()
        with self._lock:
            query = self._query
        if query is not None:
            self._cancel(query)

    @staticmethod
    def _cancel(query: Query) -> None:
        if isinstance(query, Cancellable):
            with contextlib.suppress(Exception):
                query.cancel()
        else:
            log.info("warehouse query cannot be cancelled; its worker ends when it returns")
