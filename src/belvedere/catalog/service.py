"""Catalogs per connection and identity: the outline answered at once, columns filling in
(schemas asked for first), loads shared between requests, complete catalogs cached a while."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from cachetools import TTLCache

from belvedere.catalog.loading import CatalogLoad
from belvedere.catalog.model import Catalog, ColumnsState, Match
from belvedere.concurrency import Pools
from belvedere.connections.service import ConnectionService
from belvedere.execution.runs import Actor
from belvedere.warehouses.base import TableInfo
from belvedere.warehouses.errors import ErrorKind, WarehouseError

#: Catalogs kept at once (one per connection and identity).
MAX_CATALOGS = 1024
#: Schemas of one catalog whose columns load at once.
PARALLEL_SCHEMAS = 8

#: A catalog's key: (connection, principal key).
Key = tuple[str, str]


class CatalogService:
    """Catalogs per connection and identity (a user never sees what only another could
    read). One load at a time per connection and identity, shared by every request; once
    complete, a catalog is reused for ``ttl_seconds``."""

    def __init__(
        self,
        connections: ConnectionService,
        pools: Pools,
        ttl_seconds: float,
        parallel_schemas: int = PARALLEL_SCHEMAS,
    ) -> None:
        self._connections = connections
        self._pools = pools
        self._parallel = parallel_schemas
        self._cached: TTLCache[Key, CatalogLoad] = TTLCache(MAX_CATALOGS, ttl_seconds)
        self._loading: dict[Key, CatalogLoad] = {}
        self._lock = threading.Lock()  # forget() is called from other threads

    async def get(
        self,
        connection: str,
        actor: Actor,
        *,
        refresh: bool = False,
        prioritize: Sequence[str] = (),
    ) -> Catalog:
        """The connection's catalog as ``actor`` may see it, as loaded so far: every schema
        and its tables at least, columns as their schemas land (``prioritize`` names schemas
        to load next). Cached once complete, unless stale or ``refresh``."""
        load = await self._load(connection, actor, refresh)
        load.prioritize(prioritize)
        await load.wait_outline()
        return load.snapshot()

    async def table(
        self, connection: str, actor: Actor, schema: str, name: str
    ) -> TableInfo | None:
        """One table with its columns: its schema's load is moved first and awaited. Raises
        the warehouse's error if the schema's columns could not be loaded."""
        load = await self._load(connection, actor)
        load.prioritize([schema])
        await load.landed(schema)
        catalog = load.snapshot()
        entry = catalog.schema(schema)
        found = catalog.table(schema, name)
        if entry is not None and found is not None and entry.state is ColumnsState.ERROR:
            failure = load.failure(schema)
            raise failure or WarehouseError(
                ErrorKind.INTERNAL, entry.info.error or "unreadable", connection=connection
            )
        return found

    async def search(
        self, connection: str, actor: Actor, text: str, limit: int
    ) -> tuple[list[Match], list[str]]:
        """Matches of ``text`` and the schemas whose columns are still loading (searched by
        table name only). Schemas holding matching tables load their columns next."""
        load = await self._load(connection, actor)
        await load.wait_outline()
        catalog = load.snapshot()
        matches = await self._pools.cpu.run(catalog.search, text, limit)
        loading = catalog.loading
        if loading:
            load.prioritize(m.schema for m in matches if m.kind != "column")
        return matches, loading

    async def _load(self, connection: str, actor: Actor, refresh: bool = False) -> CatalogLoad:
        handle = await self._pools.io.run(self._connections.resolve, connection, actor)
        key = (connection, handle.principal.key)
        with self._lock:
            if refresh:
                self._cached.pop(key, None)  # later requests join the new load
            elif (cached := self._cached.get(key)) is not None:
                return cached
            load = self._loading.get(key)
            if load is None or not load.alive:  # none, or its event loop has ended
                load = CatalogLoad(
                    handle,
                    self._connections,
                    self._pools,
                    self._parallel,
                    on_complete=lambda done: self._completed(key, done),
                )
                self._loading[key] = load
                load.outline.add_done_callback(lambda f: self._outline_ended(key, load, f))
        return load

    def _completed(self, key: Key, load: CatalogLoad) -> None:
        with self._lock:
            if self._loading.get(key) is load:  # not forgotten meanwhile
                del self._loading[key]
                self._cached[key] = load

    def _outline_ended(self, key: Key, load: CatalogLoad, outline: asyncio.Future[None]) -> None:
        if outline.cancelled() or outline.exception() is not None:
            with self._lock:  # the next request tries again
                if self._loading.get(key) is load:
                    del self._loading[key]

    def forget(self, connection: str, key_prefix: str = "") -> None:
        """Drop a connection's catalogs (loaded or loading) of the identities whose key starts
        with ``key_prefix``: every identity's by default (the connection changed or was
        removed)."""
        with self._lock:
            for store in (self._cached, self._loading):
                for key in [k for k in store if k[0] == connection]:
                    if key[1].startswith(key_prefix) and (load := store.pop(key, None)):
                        load.stop()

    def forget_all(self) -> None:
        """Drop every catalog, loaded or loading."""
        with self._lock:
            for load in self._loading.values():
                load.stop()
            self._loading.clear()
            self._cached.clear()
