"""Load catalogs in bulk on the backend's lane, cache them for a while, share loads."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

from cachetools import TTLCache

from belvedere.catalog.model import Catalog
from belvedere.concurrency import Pools
from belvedere.connections.handle import ConnectionHandle
from belvedere.connections.service import ConnectionService
from belvedere.execution.runs import Actor
from belvedere.store.models import utcnow
from belvedere.warehouses.base import BulkCatalog, SchemaInfo, Warehouse

#: Catalogs kept at once (one per connection and identity).
MAX_CATALOGS = 1024


def load_catalog(warehouse: Warehouse, schemas: Sequence[str] | None = None) -> list[SchemaInfo]:
    """Every schema's tables and columns: in bulk where the backend can, else table by table;
    a schema that cannot be read carries its error instead of failing the others."""
    if isinstance(warehouse, BulkCatalog):
        return warehouse.load_catalog(schemas)
    loaded = []
    for schema in schemas if schemas is not None else warehouse.list_schemas():
        try:
            tables = tuple(
                warehouse.describe(schema, t.name) for t in warehouse.list_tables(schema)
            )
        except Exception as exc:  # one schema's failure is reported, not raised
            loaded.append(SchemaInfo(schema, error=str(warehouse.translate_error(exc))))
        else:
            loaded.append(SchemaInfo(schema, tables))
    return loaded


class CatalogService:
    """Catalogs per connection and identity, reused for ``ttl_seconds``; one load at a time
    per connection and identity."""

    def __init__(self, connections: ConnectionService, pools: Pools, ttl_seconds: float) -> None:
        self._connections = connections
        self._pools = pools
        self._cached: TTLCache[tuple[str, str], Catalog] = TTLCache(MAX_CATALOGS, ttl_seconds)
        self._lock = threading.Lock()  # forget() is called from other threads
        self._loading: dict[tuple[str, str], asyncio.Future[Catalog]] = {}

    async def get(self, connection: str, actor: Actor, *, refresh: bool = False) -> Catalog:
        """The connection's catalog as ``actor`` may see it: cached (per identity: a user
        never sees what only another could read) unless stale or ``refresh``."""
        handle = await self._pools.io.run(self._connections.resolve, connection, actor)
        key = (connection, handle.principal.key)
        with self._lock:
            cached = self._cached.get(key)
        if cached is not None and not refresh:
            return cached
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._load(handle, key))
            self._loading[key] = pending
            pending.add_done_callback(lambda _: self._loading.pop(key, None))
        return await asyncio.shield(pending)

    async def _load(self, handle: ConnectionHandle, key: tuple[str, str]) -> Catalog:
        started = time.perf_counter()
        schemas = await self._connections.call(handle, load_catalog)
        catalog = Catalog(
            connection=handle.name,
            schemas=tuple(sorted(schemas, key=lambda s: s.name)),
            loaded_at=utcnow(),
            load_seconds=time.perf_counter() - started,
        )
        await self._pools.cpu.run(catalog.prepare_search)
        with self._lock:
            self._cached[key] = catalog
        return catalog

    def forget(self, connection: str, key_prefix: str = "") -> None:
        """Drop a connection's cached catalogs of the identities whose key starts with
        ``key_prefix``: every identity's by default (the connection changed or was removed)."""
        with self._lock:
            for key in [k for k in self._cached if k[0] == connection]:
                if key[1].startswith(key_prefix):
                    self._cached.pop(key, None)

    def forget_all(self) -> None:
        """Drop every cached catalog."""
        with self._lock:
            self._cached.clear()
