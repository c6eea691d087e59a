"""One catalog load (a connection, as one identity): the outline first, then each schema's
columns in bulk, a few schemas at a time, those asked for first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from belvedere.catalog.model import Catalog, ColumnsState, SchemaEntry
from belvedere.concurrency import Pools
from belvedere.connections.handle import ConnectionHandle
from belvedere.connections.service import ConnectionService
from belvedere.store.models import utcnow
from belvedere.warehouses.base import (
    BulkCatalog,
    CatalogOutline,
    SchemaInfo,
    Warehouse,
)
from belvedere.warehouses.errors import WarehouseError

T = TypeVar("T")

#: Schemas remembered as asked for (the latest win).
MAX_WANTED = 64


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


def load_outline(warehouse: Warehouse) -> tuple[list[SchemaInfo], bool]:
    """What to show at once, and whether it carries the columns already: the backend's quick
    outline where its bulk load is slow (BigQuery), else its whole catalog."""
    if isinstance(warehouse, CatalogOutline):
        return warehouse.load_outline(), False
    return load_catalog(warehouse), True


def _one_schema(name: str) -> Callable[[Warehouse], list[SchemaInfo]]:
    return lambda warehouse: load_catalog(warehouse, [name])


class CatalogLoad:
    """A catalog as it loads: :attr:`outline` resolves once schemas and tables are listed;
    then up to ``parallel`` schemas load their columns at a time, the most recently
    :meth:`prioritize`-d first. Runs on the event loop it was made on (:meth:`wait_outline`
    and :meth:`landed` may be awaited from another running loop); :meth:`stop` and
    :meth:`prioritize` may come from any thread. ``on_complete`` is called (on the loop) when
    every schema's columns have landed."""

    def __init__(
        self,
        handle: ConnectionHandle,
        connections: ConnectionService,
        pools: Pools,
        parallel: int,
        on_complete: Callable[[CatalogLoad], None],
    ) -> None:
        self._handle = handle
        self._connections = connections
        self._pools = pools
        self._parallel = parallel
        self._on_complete = on_complete
        self._started = time.perf_counter()
        self._seconds: float | None = None  # to the full catalog, once complete
        self._loaded_at = utcnow()
        self._entries: dict[str, SchemaEntry] = {}
        self._queue: list[str] = []  # schemas whose columns have not started loading
        self._wanted: list[str] = []  # schemas asked for, the latest first
        self._landed: dict[str, asyncio.Event] = {}
        self._failures: dict[str, WarehouseError] = {}
        self._final: Catalog | None = None
        self._stopped = False
        self.loop = asyncio.get_running_loop()
        self.outline: asyncio.Future[None] = asyncio.ensure_future(self._load_outline())
        self.done: asyncio.Future[None] = asyncio.ensure_future(self._load_columns())
        for future in (self.outline, self.done):  # awaited by requests, or not at all
            future.add_done_callback(lambda f: f.cancelled() or f.exception())

    def prioritize(self, schemas: Iterable[str]) -> None:
        """Load these schemas' columns next (the first given first), ahead of the others and
        of those asked for before; before the outline has landed too."""
        asked = list(schemas)
        if asked:
            self._wanted = list(dict.fromkeys([*asked, *self._wanted]))[:MAX_WANTED]

    def stop(self) -> None:
        """Start no more schema loads (the catalog was forgotten); any thread."""
        self._stopped = True

    @property
    def alive(self) -> bool:
        """Whether it can still make progress (its event loop is running)."""
        return self.loop.is_running()

    async def wait_outline(self) -> None:
        """Wait until the schemas and tables are listed (raises if they could not be)."""
        if not self.outline.done():
            await self._on_own_loop(lambda: asyncio.shield(self.outline))
        self.outline.result()

    async def landed(self, schema: str) -> None:
        """Wait until ``schema``'s columns have landed (at once if they have or it is unknown);
        waits for the outline first."""
        await self.wait_outline()
        event = self._landed.get(schema)
        if event is not None and not event.is_set():
            await self._on_own_loop(event.wait)

    async def _on_own_loop(self, wait: Callable[[], Awaitable[T]]) -> T:
        if asyncio.get_running_loop() is self.loop:
            return await wait()

        async def waiting() -> T:
            return await wait()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(waiting(), self.loop))

    def failure(self, schema: str) -> WarehouseError | None:
        """The warehouse's error that kept a schema's columns from loading, if it raised one."""
        return self._failures.get(schema)

    def snapshot(self) -> Catalog:
        """The catalog as loaded so far (after :attr:`outline`)."""
        if self._final is not None:
            return self._final
        seconds = self._seconds if self._seconds is not None else self._elapsed()
        catalog = Catalog(
            self._handle.name, tuple(self._entries.values()), self._loaded_at, seconds
        )
        if self._seconds is not None:
            self._final = catalog
        return catalog

    def _elapsed(self) -> float:
        return time.perf_counter() - self._started

    async def _load_outline(self) -> None:
        schemas, complete = await self._connections.call(self._handle, load_outline)
        self._loaded_at = utcnow()
        for schema in sorted(schemas, key=lambda s: s.name):
            if schema.error is not None:
                state = ColumnsState.ERROR
            elif complete:
                state = ColumnsState.LOADED
            else:
                state = ColumnsState.LOADING
                self._queue.append(schema.name)
                self._landed[schema.name] = asyncio.Event()
            self._entries[schema.name] = SchemaEntry(schema, state)
        await self._pools.cpu.run(self._prepare_search)
        if not self._queue:
            self._finish()

    def _prepare_search(self) -> None:
        for entry in self._entries.values():
            entry.index()

    async def _load_columns(self) -> None:
        await self.outline
        try:
            workers = min(self._parallel, len(self._queue))
            await asyncio.gather(*(self._worker() for _ in range(workers)))
        finally:
            for event in self._landed.values():  # nobody waits for what will not come
                event.set()
        if not self._stopped and self._seconds is None:
            self._finish()

    async def _worker(self) -> None:
        while self._queue and not self._stopped:
            name = self._next()
            entry = await self._load_schema(self._entries[name].info)
            await self._pools.cpu.run(entry.index)
            self._entries[name] = entry
            self._landed[name].set()

    def _next(self) -> str:
        """The schema to load next: the latest asked for, else the first by name."""
        name = next((s for s in self._wanted if s in self._queue), self._queue[0])
        self._queue.remove(name)
        return name

    async def _load_schema(self, listed: SchemaInfo) -> SchemaEntry:
        try:
            loaded = await self._connections.call(self._handle, _one_schema(listed.name))
        except Exception as exc:  # this schema's failure, shown in its place
            if isinstance(exc, WarehouseError):
                self._failures[listed.name] = exc
            return SchemaEntry(_failed(listed, str(exc)), ColumnsState.ERROR)
        found = next((s for s in loaded if s.name == listed.name), SchemaInfo(listed.name))
        if found.error is not None:
            return SchemaEntry(_failed(listed, found.error), ColumnsState.ERROR)
        return SchemaEntry(found, ColumnsState.LOADED)

    def _finish(self) -> None:
        self._seconds = self._elapsed()
        self._on_complete(self)


def _failed(listed: SchemaInfo, error: str) -> SchemaInfo:
    """A schema whose columns could not be loaded: its tables as listed, and the error."""
    return SchemaInfo(listed.name, listed.tables, error)
