"""A catalog as loaded so far: schemas with their tables, each schema's columns loaded or still
loading, indexed for lookup and search."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import chain

from belvedere.warehouses.base import ColumnInfo, SchemaInfo, TableInfo


class ColumnsState(StrEnum):
    """Where a schema's columns are: ``loaded``, still ``loading`` (its tables are listed),
    or an ``error`` (its ``error`` says why; its tables stay as listed)."""

    LOADED = "loaded"
    LOADING = "loading"
    ERROR = "error"


@dataclass(frozen=True)
class Match:
    """A search hit: a table, or a column (``column`` is a dotted path into nested fields)."""

    schema: str
    table: str
    kind: str
    column: str | None = None
    type: str | None = None


def column_paths(columns: tuple[ColumnInfo, ...], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every column and nested field as (dotted path, type)."""
    for column in columns:
        path = f"{prefix}{column.name}"
        yield path, column.type
        yield from column_paths(column.fields, path + ".")


#: One searchable name: (lower-cased text, lower-cased leaf, 0 for tables / 1 for columns, match).
_Entry = tuple[str, str, int, Match]


@dataclass(frozen=True)
class SchemaEntry:
    """One schema of a catalog, its columns' state, and its own search index (built once,
    so a schema landing later never re-indexes the others)."""

    info: SchemaInfo
    state: ColumnsState = ColumnsState.LOADED
    _tables: dict[str, TableInfo] = field(init=False, repr=False, compare=False)
    _entries: list[_Entry] = field(init=False, repr=False, compare=False, default_factory=list)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tables", {t.name: t for t in self.info.tables})

    @property
    def name(self) -> str:
        return self.info.name

    def table(self, name: str) -> TableInfo | None:
        return self._tables.get(name)

    def index(self) -> list[_Entry]:
        """Every table and column name, lower-cased once (blocking the first time)."""
        if not self._entries:
            entries: list[_Entry] = []
            for table in self.info.tables:
                lowered = table.name.lower()
                entries.append((lowered, lowered, 0, Match(table.schema, table.name, table.kind)))
                for path, type_ in column_paths(table.columns):
                    text = path.lower()
                    match = Match(table.schema, table.name, "column", path, type_)
                    entries.append((text, text.rsplit(".", 1)[-1], 1, match))
            self._entries.extend(entries)
        return self._entries


@dataclass(frozen=True)
class Catalog:
    """What a connection's warehouse holds, as listed at ``loaded_at``; ``load_seconds`` is
    the time to the full catalog once ``complete``, else the time spent so far."""

    connection: str
    entries: tuple[SchemaEntry, ...]
    loaded_at: datetime
    load_seconds: float
    _by_name: dict[str, SchemaEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {e.name: e for e in self.entries})

    @classmethod
    def of(
        cls, connection: str, schemas: tuple[SchemaInfo, ...], loaded_at: datetime, seconds: float
    ) -> Catalog:
        """A complete catalog of loaded schemas."""
        return cls(connection, tuple(SchemaEntry(s) for s in schemas), loaded_at, seconds)

    @property
    def schemas(self) -> tuple[SchemaInfo, ...]:
        return tuple(e.info for e in self.entries)

    @property
    def table_count(self) -> int:
        return sum(len(e.info.tables) for e in self.entries)

    @property
    def loading(self) -> list[str]:
        """Schemas whose columns are still loading, by name."""
        return [e.name for e in self.entries if e.state is ColumnsState.LOADING]

    @property
    def complete(self) -> bool:
        """Every schema's columns are loaded (or failed)."""
        return not self.loading

    def schema(self, name: str) -> SchemaEntry | None:
        return self._by_name.get(name)

    def table(self, schema: str, name: str) -> TableInfo | None:
        """One table, with its columns once its schema's are loaded."""
        entry = self._by_name.get(schema)
        return entry.table(name) if entry is not None else None

    def prepare_search(self) -> None:
        """Build every schema's search index now (blocking; a second or so for 200,000
        columns)."""
        for entry in self.entries:
            entry.index()

    def search(self, text: str, limit: int = 100) -> list[Match]:
        """Tables and columns whose name contains ``text`` (case-insensitive), best first:
        exact names, then prefixes, then the rest; tables before columns. Schemas still
        loading are searched by table name (their columns are not there yet)."""
        needle = text.strip().lower()
        if not needle:
            return []
        hits = (
            (0 if leaf == needle else 1 if leaf.startswith(needle) else 2, kind, name, match)
            for name, leaf, kind, match in chain.from_iterable(e.index() for e in self.entries)
            if needle in name
        )
        best = heapq.nsmallest(limit, hits, key=lambda h: (h[0], h[1], h[2]))
        return [h[3] for h in best]
