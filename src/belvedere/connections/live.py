"""Live backends: one per connection and identity, the least recently used closed beyond a
bound, so that no client, session, token or cache crosses identities."""

from __future__ import annotations

import threading
from collections import OrderedDict

from pydantic import BaseModel

from belvedere.connections.handle import ConnectionHandle
from belvedere.identity.principal import Principal
from belvedere.warehouses.base import Warehouse

#: Live backends kept (one per connection and identity); the least recently used close beyond.
MAX_LIVE = 512


def build(backend: type[Warehouse], options: BaseModel, principal: Principal) -> Warehouse:
    """A new backend for validated options, with the principal's credentials if it has its
    own (blocking: making credentials may call out)."""
    make = principal.credentials
    return backend(options, make() if make is not None else None)  # type: ignore[call-arg]


class StaleHandle(Exception):
    """A handle read before its connection last changed: read the connection again."""


class LiveBackends:
    """Backends in use, keyed by (connection, principal key) (thread-safe, blocking).

    Each connection has a generation, moved on by :meth:`retire` when it changes: a handle of
    an older generation (a run resolved before the change, that waited its turn) gets no
    backend, so that none built from the old options outlives the change."""

    def __init__(self, limit: int = MAX_LIVE) -> None:
        self._limit = limit
        self._live: OrderedDict[tuple[str, str], Warehouse] = OrderedDict()
        self._built_from: dict[str, BaseModel] = {}  # the options each connection's were built of
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()

    def generation(self, connection: str) -> int:
        """The connection's current generation (read it before reading the connection)."""
        with self._lock:
            return self._generations.get(connection, 0)

    def _check(self, handle: ConnectionHandle) -> None:
        """``StaleHandle`` unless the handle is of the current generation (under lock)."""
        if handle.generation != self._generations.get(handle.name, 0):
            raise StaleHandle(handle.name)

    def get(self, handle: ConnectionHandle) -> Warehouse:
        """The backend of a handle's connection for its principal, built on first use
        (raises ``StaleHandle`` for a handle read before the connection changed)."""
        key = (handle.name, handle.principal.key)
        with self._lock:
            self._check(handle)
            live = self._live.get(key)
            if live is not None:
                self._live.move_to_end(key)
                return live
        built = build(handle.backend, handle.options, handle.principal)
        evicted: list[Warehouse] = []
        with self._lock:
            current = handle.generation == self._generations.get(handle.name, 0)
            kept = built
            if current:
                self._built_from[handle.name] = handle.options
                kept = self._live.setdefault(key, built)
                self._live.move_to_end(key)
                while len(self._live) > self._limit:
                    evicted.append(self._live.popitem(last=False)[1])
        if not current:  # the connection changed while the backend was being built
            _close([built])
            raise StaleHandle(handle.name)
        if kept is not built:
            evicted.append(built)
        _close(evicted)
        return kept

    def drop(self, connection: str, key_prefix: str = "") -> None:
        """Close a connection's backends of identities whose key starts with ``key_prefix``
        (every identity's by default)."""
        with self._lock:
            keys = [k for k in self._live if k[0] == connection and k[1].startswith(key_prefix)]
            gone = [self._live.pop(k) for k in keys]
        _close(gone)

    def retire(self, connection: str) -> None:
        """The connection changed or was removed: close its backends, and refuse handles
        read before."""
        with self._lock:
            self._generations[connection] = self._generations.get(connection, 0) + 1
            self._built_from.pop(connection, None)
        self.drop(connection)

    def in_use(self) -> dict[str, tuple[BaseModel, list[str]]]:
        """Each connection with live backends: the options they were built of, and the keys
        of their identities."""
        with self._lock:
            found: dict[str, tuple[BaseModel, list[str]]] = {}
            for name, key in self._live:
                if name in self._built_from:
                    found.setdefault(name, (self._built_from[name], []))[1].append(key)
            return found

    def close(self) -> None:
        """Close every live backend."""
        with self._lock:
            gone, self._live = list(self._live.values()), OrderedDict()
        _close(gone)


def _close(backends: list[Warehouse]) -> None:
    for backend in backends:
        backend.close()
