"""The interface every warehouse backend implements, and its optional capabilities.

Required: run a query (:meth:`Warehouse.query`), list schemas and tables, describe a table,
close. Optional capabilities are small protocols checked with ``isinstance``:
:class:`Cancellable` queries, :class:`BulkCatalog` loading. Quirks (SQL dialect, error table,
test query) are data on the class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import pyarrow as pa
from pydantic import BaseModel

from belvedere.warehouses.errors import ErrorRule

#: Query parameters: positional or named, as the backend's SQL expects.
Params = Sequence[Any] | Mapping[str, Any] | None

#: Arrow field metadata key holding the warehouse's own name of a column's type.
TYPE_METADATA_KEY = b"belvedere.type"


@dataclass(frozen=True)
class Quirks:
    """What differs between warehouses, as data."""

    dialect: str
    """SQLGlot dialect name."""
    test_sql: str = "SELECT 1"
    """A cheap query that proves the connection works."""
    error_rules: tuple[ErrorRule, ...] = ()
    """Message patterns mapped to error kinds, first match wins."""
    default_schema: str | None = None


@dataclass(frozen=True)
class ColumnInfo:
    """A column of a table or view."""

    name: str
    type: str
    nullable: bool = True
    description: str = ""


@dataclass(frozen=True)
class TableInfo:
    """A table or view, with its columns when they were loaded."""

    schema: str
    name: str
    kind: str = "table"
    description: str = ""
    columns: tuple[ColumnInfo, ...] = field(default=())


class Query(ABC):
    """One statement on its own session of the warehouse.

    Create it cheaply (no I/O), then call :meth:`run` on a worker thread. A query that is also
    :class:`Cancellable` can be stopped from any other thread while it runs.
    """

    @abstractmethod
    def run(self) -> pa.RecordBatchReader:
        """Execute and return the result as a stream of Arrow record batches (blocking)."""

    @abstractmethod
    def close(self) -> None:
        """Release the session. Safe to call more than once."""


@runtime_checkable
class Cancellable(Protocol):
    """Optional capability of a :class:`Query`: stop it in the warehouse."""

    def cancel(self) -> None:
        """Ask the warehouse to stop this query; thread-safe, returns without waiting."""


@runtime_checkable
class BulkCatalog(Protocol):
    """Optional capability of a :class:`Warehouse`: tables and columns of schemas in bulk."""

    def load_catalog(self, schemas: Sequence[str] | None = None) -> list[TableInfo]:
        """Every table of the given schemas (all when ``None``), with columns."""


class Warehouse(ABC):
    """A configured connection to one warehouse, shared by worker threads."""

    kind: ClassVar[str]
    """Registry name, e.g. ``duckdb``."""
    label: ClassVar[str]
    """Human name, e.g. ``DuckDB``."""
    options_model: ClassVar[type[BaseModel]]
    """Pydantic model of the connection's options; ``SecretStr`` fields are stored encrypted."""
    quirks: ClassVar[Quirks]
    embedded: ClassVar[bool] = False
    """Runs inside this process (CPU-bound) rather than on a server Belvedere waits for."""

    @abstractmethod
    def query(self, sql: str, params: Params = None) -> Query:
        """Prepare one statement; nothing runs until :meth:`Query.run`."""

    @abstractmethod
    def list_schemas(self) -> list[str]:
        """Names of the schemas (datasets) the connection can see."""

    @abstractmethod
    def list_tables(self, schema: str) -> list[TableInfo]:
        """Tables and views of a schema, without columns."""

    @abstractmethod
    def describe(self, schema: str, table: str) -> TableInfo:
        """A table with its columns; raises ``WarehouseError(NOT_FOUND)`` if absent."""

    @abstractmethod
    def translate_error(self, exc: Exception, sql: str | None = None) -> Exception:
        """Turn a driver exception into a :class:`WarehouseError` (or return it unchanged)."""

    def test(self) -> None:
        """Run the backend's test query; raise ``WarehouseError`` if it fails."""
        q = self.query(self.quirks.test_sql)
        try:
            q.run().read_all()
        except Exception as exc:
            raise self.translate_error(exc, self.quirks.test_sql) from exc
        finally:
            q.close()

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release pooled sessions."""
