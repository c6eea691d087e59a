"""In-process handle on an active run: who to interrupt when it must stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from datetime import datetime

from belvedere.identity.principal import Principal
from belvedere.store.models import QueryRun
from belvedere.warehouses.base import Cancellable, Query

log = logging.getLogger(__name__)

#: How long :meth:`RunControl.stop` keeps cancelling before it gives up on the worker.
STOP_PATIENCE_SECONDS = 60.0
#: Pause between cancel attempts (a cancel that lands before the query starts does nothing).
RETRY_SECONDS = 0.1


class RunControl:
    """Links a run's supervisor (event loop) with its worker thread and warehouse query."""

    def __init__(self, run: QueryRun, principal: Principal) -> None:
        self.run = run
        """The run as submitted."""
        self.principal = principal
        """Who the warehouse sees run it."""
        self.final: QueryRun | None = None
        """The run as it ended, once it has (saves re-reading it)."""
        self.started_at: datetime | None = None
        """When the worker started it, if it has."""
        self.finishing = False
        """Set by the worker once its query is over and it is recording the end: a stop
        asked for after that has nothing left to stop."""
        self.ended = asyncio.Event()
        """Set on the event loop when the run has ended, whoever ended it."""
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # made on a Celery worker's thread: nobody waits on a loop
            self._loop = None
        self.worker_done = threading.Event()
        """Set by the worker thread when it has let go of the warehouse."""
        self._stop = threading.Event()
        self._query: Query | None = None
        self._lock = threading.Lock()

    @property
    def stop_requested(self) -> bool:
        """Whether the run must stop (deadline or cancel)."""
        return self._stop.is_set()

    def finish(self, final: QueryRun) -> None:
        """Record how the run ended (from whichever thread ended it), and wake its waiters
        on the event loop at once."""
        self.final = final
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                self._loop.call_soon_threadsafe(self.ended.set)

    def attach(self, query: Query) -> None:
        """Called by the worker once its query exists."""
        with self._lock:
            self._query = query

    def request_stop(self) -> None:
        """Say the run must stop (no I/O): the worker and the backend check it between steps,
        and backends do not retry calls for a run that must stop."""
        self._stop.set()

    def stop(self) -> None:
        """Stop the worker: cancel its query in the warehouse until the worker lets go.

        Blocking (it talks to the warehouse); run it off the event loop. A cancel can land
        in the instant before the query starts and do nothing, so it is repeated.
        """
        self._stop.set()
        give_up = time.monotonic() + STOP_PATIENCE_SECONDS
        while not self.worker_done.is_set():
            with self._lock:
                query = self._query
            if query is not None:
                if not isinstance(query, Cancellable):
                    log.info("this warehouse cannot cancel; the worker ends when it returns")
                    return
                with contextlib.suppress(Exception):
                    query.cancel()
            if self.worker_done.wait(RETRY_SECONDS):
                return
            if time.monotonic() > give_up:
                log.warning("a cancelled query is still running after %ss", STOP_PATIENCE_SECONDS)
                return
