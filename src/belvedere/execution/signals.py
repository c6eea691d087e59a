"""Waiting for runs that end in another process: woken by the bus's ``run.ended`` message
(which carries the run as it ended, when the process that ended it has it), with a slow poll
of the metadata store behind it for a message that never comes (the bus cut off, another
process gone)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from cachetools import TTLCache

from belvedere.cluster.bus import Bus, Message, Topic
from belvedere.execution.runs import ACTIVE, RunStatus
from belvedere.security.secretbox import SecretBox, SecretBoxError
from belvedere.store.models import QueryRun
from belvedere.store.runs import run_from_json

log = logging.getLogger(__name__)

#: How many just-ended runs, and for how long, a process remembers.
RECENT_KEPT = 10_000
RECENT_SECONDS = 10.0


class Waiter:
    """One wait for a run: set when it ends, with the run as it ended if the message had it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()
        self.final: QueryRun | None = None


class RunSignals:
    """Wakes the waiters of a run when the bus says it ended."""

    def __init__(self, bus: Bus, box: SecretBox) -> None:
        """``box`` opens the ended runs that messages carry, sealed."""
        self._box = box
        self._waiters: dict[str, set[Waiter]] = defaultdict(set)
        self._recent: TTLCache[str, Message] = TTLCache(RECENT_KEPT, RECENT_SECONDS)
        """Runs that ended a moment ago: a wait that starts just after the message is not
        left to poll."""
        self._lock = threading.Lock()
        self._bus = bus
        bus.subscribe(Topic.RUN_ENDED, self._ended)
        bus.on_reconnect(self._wake_all)

    @property
    def reliable(self) -> bool:
        """Whether a message can be expected now (else poll often)."""
        return self._bus.connected

    @contextmanager
    def watching(self, run_id: str) -> Iterator[Waiter]:
        """A waiter woken when ``run_id`` ends (or when the bus may have missed it): register
        before reading the run, so that an end between the read and the wait is not lost."""
        waiter = Waiter(asyncio.get_running_loop())
        with self._lock:
            self._waiters[run_id].add(waiter)
            ended = self._recent.get(run_id)
        if ended is not None:
            waiter.final = self._final(run_id, ended)
            waiter.event.set()
        try:
            yield waiter
        finally:
            with self._lock:
                waiters = self._waiters.get(run_id)
                if waiters is not None:
                    waiters.discard(waiter)
                    if not waiters:
                        del self._waiters[run_id]

    def _ended(self, message: Message) -> None:
        run_id = str(message.get("run"))
        with self._lock:
            self._recent[run_id] = message
            waiters = list(self._waiters.get(run_id, ()))
        if not waiters:
            return
        final = self._final(run_id, message)
        for waiter in waiters:
            waiter.final = final
        _wake(waiters)

    def _final(self, run_id: str, message: Message) -> QueryRun | None:
        """The ended run a message carries (sealed: Redis neither reads nor forges it), if it
        does."""
        sealed = message.get("sealed")
        if not isinstance(sealed, str):
            return None
        try:
            final = run_from_json(self._box.open(sealed.encode()))
            ended = RunStatus(final.status) not in ACTIVE
        except (SecretBoxError, KeyError, ValueError, TypeError):
            log.warning("ignored a malformed or forged ended run in a bus message")
            return None
        return final if ended and final.id == run_id else None

    def _wake_all(self) -> None:
        with self._lock:
            waiters = [waiter for entries in self._waiters.values() for waiter in entries]
        _wake(waiters)


def _wake(waiters: list[Waiter]) -> None:
    for waiter in waiters:
        with contextlib.suppress(RuntimeError):  # that loop has closed
            waiter.loop.call_soon_threadsafe(waiter.event.set)
