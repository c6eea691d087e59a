"""A loaded catalog: schemas, tables and columns, indexed for lookup and search."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Catalog:
    """What a connection's warehouse holds, as loaded at ``loaded_at``."""

    connection: str
    schemas: tuple[SchemaInfo, ...]
    loaded_at: datetime
    load_seconds: float
    _tables: dict[tuple[str, str], TableInfo] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {(t.schema, t.name): t for s in self.schemas for t in s.tables}
        object.__setattr__(self, "_tables", index)

    @property
    def table_count(self) -> int:
        return len(self._tables)

    def table(self, schema: str, name: str) -> TableInfo | None:
        """One table, with its columns."""
        return self._tables.get((schema, name))

    def search(self, text: str, limit: int = 100) -> list[Match]:
        """Tables and columns whose name contains ``text`` (case-insensitive), best first:
        exact names, then prefixes, then the rest; tables before columns."""
        needle = text.strip().lower()
        if not needle:
            return []
        ranked: list[tuple[int, int, str, Match]] = []
        for table in self._tables.values():
            name = table.name.lower()
            if needle in name:
                rank = 0 if name == needle else 1 if name.startswith(needle) else 2
                ranked.append((rank, 0, name, Match(table.schema, table.name, table.kind)))
            for path, type_ in column_paths(table.columns):
                leaf = path.rsplit(".", 1)[-1].lower()
                if needle in path.lower():
                    rank = 0 if leaf == needle else 1 if leaf.startswith(needle) else 2
                    match = Match(table.schema, table.name, "column", path, type_)
                    ranked.append((rank, 1, path.lower(), match))
        ranked.sort(key=lambda r: (r[0], r[1], r[2]))
        return [r[3] for r in ranked[:limit]]
