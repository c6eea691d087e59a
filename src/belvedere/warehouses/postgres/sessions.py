"""Connections to PostgreSQL, kept idle for reuse.

A pool that retries in the background hides the reason a server cannot be reached behind a
timeout; here a failed connect raises at once with the server's own message.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import Connection
from psycopg.pq import TransactionStatus

MAX_IDLE = 4


class IdleConnections:
    """Hands out a connection per query and keeps a few healthy ones for the next."""

    def __init__(self, connect_kwargs: dict[str, Any]) -> None:
        self._kwargs = connect_kwargs
        self._idle: deque[Connection[Any]] = deque()
        self._lock = threading.Lock()

    def get(self) -> Connection[Any]:
        """An open connection in autocommit mode (blocking; raises the driver's error)."""
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
        return psycopg.connect(**self._kwargs, autocommit=True)

    def put(self, connection: Connection[Any]) -> None:
        """Return a connection; a broken or busy one is closed instead of kept."""
        healthy = (
            not connection.closed and connection.info.transaction_status == TransactionStatus.IDLE
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
