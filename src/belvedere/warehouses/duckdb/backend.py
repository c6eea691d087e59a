"""The DuckDB backend: one database instance per connection, a cursor per query."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
from pydantic import BaseModel, Field

from belvedere.sql.classify import StatementRefused, StatementRules, check_statements
from belvedere.warehouses.base import (
    TYPE_METADATA_KEY,
    ColumnInfo,
    Params,
    Query,
    QueryContext,
    SchemaInfo,
    TableInfo,
    Warehouse,
    group_by_schema,
)
from belvedere.warehouses.duckdb.quirks import (
    ENGINE_CONFIG,
    EXCEPTION_KINDS,
    POSITION,
    QUIRKS,
    READ_STATEMENT_TYPES,
    SANDBOX,
    WRITE_STATEMENT_TYPES,
)
from belvedere.warehouses.errors import (
    ErrorKind,
    WarehouseError,
    classify,
    locate_named_token,
)

BATCH_ROWS = 65_536
log = logging.getLogger(__name__)


class DuckDBOptions(BaseModel):
    """Options of a DuckDB connection."""

    path: str = Field(
        description="Path of the database file on the server, or `:memory:`.",
        min_length=1,
    )
    read_only: bool = Field(
        default=True,
        description="Open the file read-only (other processes may read it too) and run only "
        "queries; off, users may also change this database's own tables.",
    )
    allow_file_access: bool = Field(
        default=False,
        description="Let queries read files on the server (read_csv, read_parquet, glob). "
        "Leave off unless every user of this connection may see the server's files.",
    )


class DuckDBQuery(Query):
    """A query on its own DuckDB cursor; cancellable through ``interrupt()``."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, sql: str, params: Params) -> None:
        self._cursor = cursor
        self._sql = sql
        self._params = params

    def run(self) -> pa.RecordBatchReader:
        relation = self._cursor.sql(self._sql, params=self._params)
        if relation is None:
            return pa.RecordBatchReader.from_batches(pa.schema([]), [])
        types = [str(t) for t in relation.types]
        reader = relation.to_arrow_reader(BATCH_ROWS)
        schema = pa.schema(
            [
                f.with_metadata({TYPE_METADATA_KEY: t})
                for f, t in zip(reader.schema, types, strict=True)
            ]
        )
        return pa.RecordBatchReader.from_batches(
            schema, (pa.RecordBatch.from_arrays(b.columns, schema=schema) for b in reader)
        )

    def cancel(self) -> None:
        self._cursor.interrupt()

    def close(self) -> None:
        self._cursor.close()


class DuckDBWarehouse(Warehouse):
    """A DuckDB database file (or an in-memory database)."""

    kind: ClassVar[str] = "duckdb"
    label: ClassVar[str] = "DuckDB"
    options_model: ClassVar[type[BaseModel]] = DuckDBOptions
    quirks = QUIRKS
    embedded: ClassVar[bool] = True

    def __init__(self, options: DuckDBOptions, credentials: Any = None) -> None:
        self.options = options
        self._db: duckdb.DuckDBPyConnection | None = None
        self._rules: StatementRules | None = None
        self._lock = threading.Lock()

    def _database(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._db is None:
                self._db = self._open()
            return self._db

    def _open(self) -> duckdb.DuckDBPyConnection:
        path = self.options.path
        if path != ":memory:" and self.options.read_only and not Path(path).exists():
            raise WarehouseError(ErrorKind.UNAVAILABLE, f"DuckDB file not found: {path}")
        config: dict[str, Any] = {
            **ENGINE_CONFIG,
            "enable_external_access": self.options.allow_file_access,
        }
        try:
            return duckdb.connect(
                path, read_only=self.options.read_only and path != ":memory:", config=config
            )
        except duckdb.Error as exc:
            raise WarehouseError(ErrorKind.UNAVAILABLE, f"cannot open {path}: {exc}") from exc

    def query(
        self, sql: str, params: Params = None, context: QueryContext | None = None
    ) -> DuckDBQuery:
        cursor = self._database().cursor()
        try:
            self._check(cursor, sql)
        except BaseException:
            cursor.close()
            raise
        return DuckDBQuery(cursor, sql, params)

    def _check(self, cursor: duckdb.DuckDBPyConnection, sql: str) -> None:
        """Refuse user SQL that is not a query on this database (or, on a writable
        connection, a change to its own tables): the engine's parser names each statement's
        type, then SQLGlot looks inside for settings, logs, paths and session state."""
        writable = not self.options.read_only
        try:
            types = [s.type.name for s in cursor.extract_statements(sql)]
        except duckdb.Error as exc:
            raise self.translate_error(exc, sql) from exc
        allowed = READ_STATEMENT_TYPES | (WRITE_STATEMENT_TYPES if writable else frozenset())
        rules = self._statement_rules()
        message = rules.writable_message if writable else rules.read_only_message
        if not set(types) <= allowed:
            raise WarehouseError(ErrorKind.ACCESS_DENIED, message)
        try:
            checked = check_statements(
                sql,
                self.quirks.dialect,
                rules,
                writable=writable,
                files=self.options.allow_file_access,
            )
        except StatementRefused as exc:
            raise WarehouseError(ErrorKind.ACCESS_DENIED, exc.message) from exc
        if checked != len(types):  # the two parsers disagree on where statements end
            raise WarehouseError(ErrorKind.ACCESS_DENIED, message)

    def _statement_rules(self) -> StatementRules:
        """The sandbox's rules, with the engine's setting names (which ``SHOW x`` may not
        take) read once."""
        if self._rules is None:
            names = frozenset(
                r[0].lower() for r in self._rows("SELECT name FROM duckdb_settings()")
            )
            self._rules = replace(SANDBOX, denied_show=names)
        return self._rules

    def _rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        cursor = self._database().cursor()
        try:
            return cursor.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise self.translate_error(exc, sql) from exc
        finally:
            cursor.close()

    def list_schemas(self) -> list[str]:
        rows = self._rows(
            "SELECT DISTINCT schema_name FROM information_schema.schemata "
            "WHERE catalog_name = current_database() ORDER BY 1"
        )
        return [r[0] for r in rows]

    def list_tables(self, schema: str) -> list[TableInfo]:
        rows = self._rows(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = ? ORDER BY 1",
            [schema],
        )
        return [TableInfo(schema, name, _table_kind(kind)) for name, kind in rows]

    def describe(self, schema: str, table: str) -> TableInfo:
        tables = self._tables([schema], table=table)
        if not tables:
            raise WarehouseError(ErrorKind.NOT_FOUND, f"table {schema}.{table} not found")
        return tables[0]

    def load_catalog(self, schemas: Sequence[str] | None = None) -> list[SchemaInfo]:
        """Tables and columns of every schema in one query over ``information_schema``."""
        return group_by_schema(self._tables(schemas))

    def _tables(
        self, schemas: Sequence[str] | None = None, *, table: str | None = None
    ) -> list[TableInfo]:
        sql = (
            "SELECT t.table_schema, t.table_name, t.table_type, c.column_name, c.data_type, "
            "c.is_nullable FROM information_schema.tables t "
            "JOIN information_schema.columns c USING (table_catalog, table_schema, table_name) "
            "WHERE t.table_catalog = current_database()"
        )
        params: list[Any] = []
        if schemas is not None:
            sql += " AND t.table_schema IN (SELECT unnest(?))"
            params.append(list(schemas))
        if table is not None:
            sql += " AND t.table_name = ?"
            params.append(table)
        sql += " ORDER BY 1, 2, c.ordinal_position"
        return _group_tables(self._rows(sql, params))

    def translate_error(self, exc: Exception, sql: str | None = None) -> Exception:
        if isinstance(exc, WarehouseError) or not isinstance(exc, duckdb.Error):
            return exc
        full = str(exc)
        line, column = _position(full, sql)
        message = POSITION.split(full)[0].strip() if POSITION.search(full) else full.strip()
        found = classify(full, self.quirks.error_rules)
        kind, hint = found or (EXCEPTION_KINDS.get(type(exc).__name__, ErrorKind.INTERNAL), "")
        return WarehouseError(kind, f"{message} {hint}".strip(), line=line, column=column)

    def close(self) -> None:
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            try:
                db.close()
            except duckdb.Error as exc:  # a query still running; the process is ending anyway
                log.warning("closing DuckDB %s: %s", self.options.path, exc)


def _table_kind(table_type: str) -> str:
    return "view" if "VIEW" in table_type.upper() else "table"


def _group_tables(rows: list[tuple[Any, ...]]) -> list[TableInfo]:
    tables: dict[tuple[str, str], tuple[str, list[ColumnInfo]]] = {}
    for schema, name, kind, column, data_type, nullable in rows:
        entry = tables.setdefault((schema, name), (kind, []))
        entry[1].append(ColumnInfo(column, data_type, nullable == "YES"))
    return [
        TableInfo(schema, name, _table_kind(kind), columns=tuple(cols))
        for (schema, name), (kind, cols) in tables.items()
    ]


def _position(message: str, sql: str | None) -> tuple[int | None, int | None]:
    match = POSITION.search(message)
    if match is None:
        located = locate_named_token(message, sql) if sql else None
        return located or (None, None)
    line = int(match["line"])
    column = len(match["caret"]) - len(f"LINE {line}: ") + 1
    text = match["text"]
    if text.startswith("...") and sql is not None:
        lines = sql.splitlines()
        if line <= len(lines):
            start = lines[line - 1].find(text[3:].rstrip("."))
            if start >= 0:
                column = start + column - 3
    return line, column
