"""Bounded pools for blocking work, each behind one typed async call."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from belvedere.concurrency.fairpool import FairPool

P = ParamSpec("P")
T = TypeVar("T")

#: Niceness of embedded-engine threads, so the event loop wins the CPU when it needs it.
EMBEDDED_NICENESS = 10
#: Threads for the metadata store, result files and other short blocking calls.
IO_THREADS = 32
#: Threads that stop queries in warehouses (a cancel may retry for a while).
CANCEL_THREADS = 16


class Lane:
    """A bounded pool that async code hands blocking calls to, and awaits without blocking."""

    def __init__(self, name: str, executor: Executor, size: int | None = None) -> None:
        self.name = name
        self.size: int = size if size is not None else getattr(executor, "_max_workers", 0)
        """How many calls it runs at once (its threads)."""
        self._executor = executor
        self._busy = 0
        self._busy_lock = threading.Lock()

    @property
    def busy(self) -> int:
        """How many calls are running on it now (not those waiting for a thread)."""
        return self._busy

    def _counted(self, call: Callable[[], T]) -> T:
        with self._busy_lock:
            self._busy += 1
        try:
            return call()
        finally:
            with self._busy_lock:
                self._busy -= 1

    async def run(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``func`` on this lane and await its result."""
        return await asyncio.wrap_future(self.submit(func, *args, **kwargs))

    async def run_for(
        self, owner: object, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Like :meth:`run`, counted against ``owner``'s fair share where the lane is shared
        fairly (the embedded engine's); elsewhere the same as :meth:`run`."""
        if isinstance(self._executor, FairPool):
            call = functools.partial(func, *args, **kwargs)
            return await asyncio.wrap_future(self._executor.submit_for(owner, self._counted, call))
        return await self.run(func, *args, **kwargs)

    async def iterate(self, items: Iterator[T]) -> AsyncIterator[T]:
        """Yield ``items``, each one read on this lane (in order, one at a time); a generator
        is closed at the end, or when the consumer goes away (its files with it)."""
        done = object()
        try:
            while (item := await self.run(next, items, done)) is not done:
                yield item  # type: ignore[misc]
        finally:
            if isinstance(items, Generator):
                with contextlib.suppress(ValueError):  # still being read on the lane
                    items.close()

    def submit(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Start ``func`` on this lane without waiting (from any thread)."""
        return self._executor.submit(self._counted, functools.partial(func, *args, **kwargs))

    def shutdown(self, *, wait: bool = False) -> None:
        """Stop taking work; queued calls that have not started are dropped."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)


def _lower_priority() -> None:
    # Linux applies niceness per thread; threads the engine starts from here inherit it.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, 0, EMBEDDED_NICENESS)


@dataclass(frozen=True)
class Pools:
    """Every lane of a process.

    - ``io``: the metadata store, result files, sessions: short blocking calls;
    - ``cpu``: CPU-bound work that is not a query (PNG and SVG rendering, catalog search);
    - ``remote``: calls to warehouses over the network, which mostly wait (large);
    - ``embedded``: engines in this process (DuckDB), one thread per CPU, niced, shared fairly
      between users (:class:`~belvedere.concurrency.fairpool.FairPool`);
    - ``cancel``: stopping queries in warehouses, which may retry.
    """

    io: Lane
    cpu: Lane
    remote: Lane
    embedded: Lane
    cancel: Lane
    remote_threads: int

    @classmethod
    def create(cls, *, remote_threads: int, embedded_threads: int) -> Pools:
        """Build the lanes (threads start lazily, except the embedded pool's)."""
        cpus = os.cpu_count() or 2
        return cls(
            io=Lane("io", ThreadPoolExecutor(IO_THREADS, thread_name_prefix="belvedere-io")),
            cpu=Lane("cpu", ThreadPoolExecutor(cpus, thread_name_prefix="belvedere-cpu")),
            remote=Lane(
                "remote", ThreadPoolExecutor(remote_threads, thread_name_prefix="belvedere-remote")
            ),
            embedded=Lane(
                "embedded",
                FairPool(  # one user's runs take at most half its threads
                    embedded_threads,
                    per_key=max(1, embedded_threads // 2),
                    thread_name_prefix="belvedere-embedded",
                    initializer=_lower_priority,
                ),
                size=embedded_threads,
            ),
            cancel=Lane(
                "cancel", ThreadPoolExecutor(CANCEL_THREADS, thread_name_prefix="belvedere-cancel")
            ),
            remote_threads=remote_threads,
        )

    def for_backend(self, embedded: bool) -> Lane:
        """The lane a backend's calls run on: ``embedded`` for engines in this process."""
        return self.embedded if embedded else self.remote

    def start_threads(self) -> None:
        """Start the remote lane's threads now (at server start), not while a burst of runs
        arrives: a pool starts each new thread from the submitting thread, the event loop."""
        gate = threading.Event()
        for _ in range(self.remote_threads):
            self.remote.submit(gate.wait, 5.0)
        gate.set()

    def shutdown(self) -> None:
        """Release every lane: query lanes drop what has not started; I/O finishes."""
        for lane in (self.remote, self.embedded, self.cpu, self.cancel):
            lane.shutdown(wait=False)
        self.io.shutdown(wait=True)
