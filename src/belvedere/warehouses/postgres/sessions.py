"""Connections to PostgreSQL, kept idle for reuse.

A pool that retries in the background hides the reason a server cannot be reached behind a
timeout; here a failed connect raises at once with the server's own message, and gives its
socket back at once (see :meth:`IdleConnections.get`).
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import Connection
from psycopg.pq import TransactionStatus

MAX_IDLE = 4
#: The shortest connect timeout libpq and psycopg honour.
MIN_CONNECT_SECONDS = 2


class IdleConnections:
    """Hands out a connection per query and keeps a few healthy ones for the next."""

    def __init__(self, connect_kwargs: dict[str, Any], *, read_only: bool = False) -> None:
        self._kwargs = connect_kwargs
        self._read_only = read_only
        self._idle: deque[Connection[Any]] = deque()
        self._lock = threading.Lock()

    def get(self, within: float | None = None) -> Connection[Any]:
        """An open connection in autocommit mode (blocking; raises the driver's error).

        A new connection waits for the server no longer than ``within`` seconds (the time
        left to a run's deadline), nor than the connection's own ``connect_timeout``.
        """
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
        kwargs = dict(self._kwargs)
        if within is not None:
            bound = max(math.ceil(within), MIN_CONNECT_SECONDS)
            kwargs["connect_timeout"] = min(int(kwargs.get("connect_timeout") or bound), bound)
        try:
            connection = psycopg.connect(**kwargs, autocommit=True)
        except psycopg.Error as exc:
            # psycopg's frame of a failed attempt (holding the half-open socket) and the error
            # refer to each other through its traceback: only the cycle collector, whenever it
            # runs, would close that socket. Dropping the traceback closes it now.
            raise exc.with_traceback(None) from None
        if self._read_only:
            connection.read_only = True  # transaction blocks begin READ ONLY
        return connection

    def put(self, connection: Connection[Any], *, reuse: bool = True) -> None:
        """Return a connection; a broken or busy one (or one not to ``reuse``) is closed
        instead of kept."""
        healthy = (
            reuse
            and not connection.closed
            and connection.info.transaction_status == TransactionStatus.IDLE
        )
        with self._lock:
            if healthy and len(self._idle) < MAX_IDLE:
                self._idle.append(connection)
                return
        with contextlib.suppress(psycopg.Error):
            connection.close()

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection[Any]]:
        """A connection for the duration of a block."""
        connection = self.get()
        try:
            yield connection
        finally:
            self.put(connection)

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = list(self._idle), deque()
        for connection in idle:
            with contextlib.suppress(psycopg.Error):
                connection.close()
