"""A thread pool shared fairly between users: nobody holds more than their share of it.

The embedded engine's pool has one thread per CPU. With a plain FIFO pool one person's long
queries can take every thread while everyone else's wait ``queued`` until the deadline. Here each
job belongs to a key (the user who ran it): a key runs at most ``per_key`` jobs at once, and the
next job is taken round-robin across the keys that may run one, so a second person's query starts
as soon as a thread is free, however many the first one has queued. A job with no key (catalog
loads, connection tests) has no cap.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_Job = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class FairPool(Executor):
    """``threads`` worker threads; each key runs at most ``per_key`` jobs at a time."""

    def __init__(
        self,
        threads: int,
        *,
        per_key: int,
        thread_name_prefix: str,
        initializer: Callable[[], None] | None = None,
    ) -> None:
        self.per_key = per_key
        self._cond = threading.Condition()
        self._queues: OrderedDict[object, deque[_Job]] = OrderedDict()
        self._running: dict[object, int] = {}
        self._shutdown = False
        self._initializer = initializer
        self._threads = [
            threading.Thread(target=self._work, name=f"{thread_name_prefix}_{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """A job of no one's: never capped."""
        return self.submit_for(None, fn, *args, **kwargs)

    def submit_for(
        self, key: object, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        """A job of ``key``'s, run when a thread is free and ``key`` is under its cap."""
        future: Future[T] = Future()
        with self._cond:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queues.setdefault(key, deque()).append((future, fn, args, kwargs))
            self._cond.notify()
        return future

    def _next(self) -> tuple[object, _Job] | None:
        """The first key, in round-robin order, with a job and room to run it (under lock)."""
        for key, queue in self._queues.items():
            if key is None or self._running.get(key, 0) < self.per_key:
                job = queue.popleft()
                self._queues.pop(key)
                if queue:  # to the back of the line: others go first next time
                    self._queues[key] = queue
                return key, job
        return None

    def _work(self) -> None:
        if self._initializer is not None:
            self._initializer()
        while True:
            with self._cond:
                while (found := self._next()) is None:
                    if self._shutdown:
                        return
                    self._cond.wait()
                key, (future, fn, args, kwargs) = found
                self._running[key] = self._running.get(key, 0) + 1
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args, **kwargs))
                    except BaseException as exc:
                        future.set_exception(exc)
            finally:
                with self._cond:
                    self._running[key] -= 1
                    if not self._running[key]:
                        del self._running[key]
                    self._cond.notify_all()  # a capped key's job may run now

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cond:
            self._shutdown = True
            if cancel_futures:
                for queue in self._queues.values():
                    for future, *_ in queue:
                        future.cancel()
                self._queues.clear()
            self._cond.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()
