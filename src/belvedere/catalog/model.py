"""A loaded catalog: schemas, tables and columns, indexed for lookup and search."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from belvedere.warehouses.base import ColumnInfo, SchemaInfo, TableInfo


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
class Catalog:
    """What a connection's warehouse holds, as loaded at ``loaded_at``."""

    connection: str
    schemas: tuple[SchemaInfo, ...]
    loaded_at: datetime
    load_seconds: float
    _tables: dict[tuple[str, str], TableInfo] = field(init=False, repr=False, compare=False)
    _entries: list[_Entry] = field(init=False, repr=False, compare=False, default_factory=list)

    def __post_init__(self) -> None:
        index = {(t.schema, t.name): t for s in self.schemas for t in s.tables}
        object.__setattr__(self, "_tables", index)

    @property
    def table_count(self) -> int:
        return len(self._tables)

    def table(self, schema: str, name: str) -> TableInfo | None:
        """One table, with its columns."""
        return self._tables.get((schema, name))

    def prepare_search(self) -> None:
        """Build the search index now (blocking; a second or so for 200,000 columns)."""
        self._index()

    def _index(self) -> list[_Entry]:
        """Every table and column name, lower-cased once."""
        if not self._entries:
            entries: list[_Entry] = []
            for table in self._tables.values():
                lowered = table.name.lower()
                entries.append((lowered, lowered, 0, Match(table.schema, table.name, table.kind)))
                for path, type_ in column_paths(table.columns):
                    text = path.lower()
                    match = Match(table.schema, table.name, "column", path, type_)
                    entries.append((text, text.rsplit(".", 1)[-1], 1, match))
            self._entries.extend(entries)
        return self._entries

    def search(self, text: str, limit: int = 100) -> list[Match]:
        """Tables and columns whose name contains ``text`` (case-insensitive), best first:
        exact names, then prefixes, then the rest; tables before columns."""
        needle = text.strip().lower()
        if not needle:
            return []
        hits = (
            (0 if leaf == needle else 1 if leaf.startswith(needle) else 2, kind, name, match)
            for name, leaf, kind, match in self._index()
            if needle in name
        )
        best = heapq.nsmallest(limit, hits, key=lambda h: (h[0], h[1], h[2]))
        return [h[3] for h in best]
