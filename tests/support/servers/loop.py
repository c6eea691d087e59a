"""The base of the tests' own servers: an asyncio loop on a daemon thread, one shutdown path.

A subclass opens its listener in :meth:`LoopServer._open` (on the loop), stops it and releases
what connections wait on in :meth:`LoopServer._close`, and frees what remains in
:meth:`LoopServer._dispose`; connection handlers wrapped by :meth:`LoopServer.tracked` are
cancelled between the two. :meth:`LoopServer.close` stops everything within seconds whatever
its connections are doing, and may be called more than once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

from tests.support.servers.ports import free_port

T = TypeVar("T")
P = ParamSpec("P")
CLOSE_SECONDS = 5.0


class LoopServer:
    """A server on ``127.0.0.1:port`` whose asyncio loop runs on a thread of its own."""

    close_seconds = CLOSE_SECONDS
    """How long :meth:`close` gives :meth:`_close`, and then the cancelled handlers."""

    def __init__(self, name: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.closed = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name=f"{name}-{self.port}", daemon=True
        )
        self._thread.start()
        try:
            self.call(self._open(), timeout=30)
        except BaseException:
            self._stop_loop()
            raise

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def target(self) -> str:
        """``127.0.0.1:PORT`` (for gRPC clients)."""
        return f"127.0.0.1:{self.port}"

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = CLOSE_SECONDS) -> T:
        """Run ``coro`` on the server's loop from another thread and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def tracked(
        self, handler: Callable[P, Awaitable[None]]
    ) -> Callable[P, Coroutine[Any, Any, None]]:
        """``handler`` as a task that :meth:`close` cancels (for connection handlers)."""

        @functools.wraps(handler)
        async def run(*args: P.args, **kwargs: P.kwargs) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                await handler(*args, **kwargs)
            finally:
                self._tasks.discard(task)

        return run

    async def _open(self) -> None:
        """Start listening on :attr:`port` (on the loop)."""
        raise NotImplementedError

    async def _close(self) -> None:
        """Stop listening and release what connections wait on (on the loop)."""

    async def _dispose(self) -> None:
        """Release what the handlers used, once they are cancelled (on the loop)."""

    def close(self) -> None:
        """Stop serving: :meth:`_close`, cancel the tracked handlers, :meth:`_dispose`, stop the
        loop."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):  # a server that will not stop fails no test
            self.call(self._shutdown(), timeout=self.close_seconds * 2)
        self._stop_loop()

    async def _shutdown(self) -> None:
        await self._close()
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=self.close_seconds)
        await self._dispose()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(CLOSE_SECONDS)
        if not self._thread.is_alive():
            self.loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def wait_at_most(awaitable: Awaitable[Any], seconds: float) -> bool:
    """Wait up to ``seconds`` for ``awaitable``; whether it finished first."""
    try:
        await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        return False
    return True
