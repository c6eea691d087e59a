"""Load catalogs in bulk on the warehouse's pool, cache them for a while, share loads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from belvedere.catalog.model import Catalog
from belvedere.execution.runs import Actor
from belvedere.execution.service import ExecutionService
from belvedere.identity.principal import Principal
from belvedere.store.models import utcnow
from belvedere.warehouses.base import BulkCatalog, SchemaInfo, Warehouse


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
    """Catalogs per connection, reused for ``ttl_seconds``; one load at a time per connection."""

    def __init__(self, execution: ExecutionService, ttl_seconds: float) -> None:
        self._execution = execution
        self._ttl = ttl_seconds
        self._cached: dict[tuple[str, str], tuple[float, Catalog]] = {}
        self._loading: dict[tuple[str, str], asyncio.Future[Catalog]] = {}

    async def get(self, connection: str, actor: Actor, *, refresh: bool = False) -> Catalog:
        """The connection's catalog as ``actor`` may see it: cached (per identity: a user
        never sees what only another could read) unless stale or ``refresh``."""
        principal = await self._execution.principal(actor, connection)
        key = (connection, principal.key)
        cached = self._cached.get(key)
        if cached is not None and not refresh and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._load(connection, principal, key))
            self._loading[key] = pending
            pending.add_done_callback(lambda _: self._loading.pop(key, None))
        return await asyncio.shield(pending)

    async def _load(self, connection: str, principal: Principal, key: tuple[str, str]) -> Catalog:
        started = time.perf_counter()
        schemas = await self._execution.on_warehouse(connection, principal, load_catalog)
        catalog = Catalog(
            connection=connection,
            schemas=tuple(sorted(schemas, key=lambda s: s.name)),
            loaded_at=utcnow(),
            load_seconds=time.perf_counter() - started,
        )
        await self._execution.io(catalog.prepare_search)
        self._cached[key] = (time.monotonic(), catalog)
        return catalog

    def forget(self, connection: str) -> None:
        """Drop a connection's cached catalogs, every identity's (it changed or was removed)."""
        for key in [k for k in self._cached if k[0] == connection]:
            del self._cached[key]
