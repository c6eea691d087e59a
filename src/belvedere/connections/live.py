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


class LiveBackends:
    """Backends in use, keyed by (connection, principal key) (thread-safe, blocking)."""

    def __init__(self, limit: int = MAX_LIVE) -> None:
        self._limit = limit
        self._live: OrderedDict[tuple[str, str], Warehouse] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, handle: ConnectionHandle) -> Warehouse:
        """The backend of a handle's connection for its principal, built on first use."""
        key = (handle.name, handle.principal.key)
        with self._lock:
            live = self._live.get(key)
            if live is not None:
                self._live.move_to_end(key)
                return live
        built = build(handle.backend, handle.options, handle.principal)
        evicted: list[Warehouse] = []
        with self._lock:
            live = self._live.setdefault(key, built)
            self._live.move_to_end(key)
            while len(self._live) > self._limit:
                evicted.append(self._live.popitem(last=False)[1])
        if live is not built:
            evicted.append(built)
        _close(evicted)
        return live

    def drop(self, connection: str, key_prefix: str = "") -> None:
        """Close a connection's backends of identities whose key starts with ``key_prefix``
        (every identity's by default)."""
        with self._lock:
            keys = [k for k in self._live if k[0] == connection and k[1].startswith(key_prefix)]
            gone = [self._live.pop(k) for k in keys]
        _close(gone)

    def close(self) -> None:
        """Close every live backend."""
        with self._lock:
            gone, self._live = list(self._live.values()), OrderedDict()
        _close(gone)


def _close(backends: list[Warehouse]) -> None:
    for backend in backends:
        backend.close()
