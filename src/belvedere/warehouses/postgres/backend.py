"""The PostgreSQL backend: one connection per running query, idle ones reused."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Literal

import psycopg
import pyarrow as pa
from psycopg import Column as PgColumn
from psycopg import Connection
from pydantic import BaseModel, Field, SecretStr

from belvedere.warehouses.base import (
    ColumnInfo,
    Params,
    Query,
    QueryContext,
    SchemaInfo,
    TableInfo,
    Warehouse,
    group_by_schema,
)
from belvedere.warehouses.errors import ErrorKind, WarehouseError, line_and_column
from belvedere.warehouses.postgres.quirks import QUIRKS, SQLSTATE_KINDS
from belvedere.warehouses.postgres.sessions import IdleConnections
from belvedere.warehouses.postgres.types import arrow_field, to_batch

BATCH_ROWS = 10_000
#: SQLSTATE of a write attempted in a read-only transaction.
READ_ONLY_SQLSTATE = "25006"


class PostgresOptions(BaseModel):
    """Options of a PostgreSQL connection."""

    host: str = Field(default="localhost", description="Server host name or address.")
    port: int = Field(default=5432, ge=1, le=65535, description="Server port.")
    database: str = Field(description="Database name.", min_length=1)
    user: str = Field(description="User name.", min_length=1)
    password: SecretStr | None = Field(default=None, description="Password (stored encrypted).")
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] = Field(
        default="prefer", description="TLS mode (libpq `sslmode`)."
    )
    connect_timeout: int = Field(default=10, ge=1, le=300, description="Seconds to connect.")
    read_only: bool = Field(
        default=True,
        description="Run users' SQL in read-only transactions, rolled back at the end (turn "
        "off only for a connection meant for writing).",
    )


class PostgresQuery(Query):
    """A query on its own connection; cancellable with the server's cancel request.

    On a read-only connection the statement runs alone (the extended protocol takes one
    statement, so no ``COMMIT;`` can end the transaction early) in a ``READ ONLY``
    transaction that is rolled back, so not even a ``SET`` outlives the run.
    """

    def __init__(
        self,
        warehouse: PostgresWarehouse,
        sql: str,
        params: Params,
        context: QueryContext | None = None,
    ) -> None:
        self._warehouse = warehouse
        self._sql = sql
        self._params = params
        self._context = context or QueryContext()
        self._read_only = warehouse.options.read_only
        self._connection: Connection[Any] | None = None
        self._transaction = contextlib.ExitStack()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> pa.RecordBatchReader:
        connection = self._warehouse.sessions().get(self._context.timeout_seconds)
        with self._lock:
            self._connection = connection
        if self._cancelled.is_set():
            raise WarehouseError(ErrorKind.CANCELLED, "query cancelled")
        if not returns_rows(self._sql):
            if self._read_only:
                self._transaction.enter_context(connection.transaction(force_rollback=True))
            cursor = connection.cursor()
            # prepare=True: the extended protocol, one statement only (read-only connections).
            cursor.execute(self._sql, self._params, prepare=self._read_only or None)
            return _reader(connection, cursor.description, lambda: [cursor.fetchall()])
        # A server-side cursor streams a large result without holding it in memory.
        self._transaction.enter_context(connection.transaction(force_rollback=self._read_only))
        name = f"belvedere_{id(self):x}"
        server_cursor = connection.cursor(name=name)
        try:
            server_cursor.execute(self._sql, self._params)
        except psycopg.Error as exc:
            # Positions count from the start of psycopg's "DECLARE ... FOR " prefix.
            prefix = len(f'DECLARE "{name}" CURSOR FOR ')
            raise self._warehouse.translate_error(exc, self._sql, prefix) from exc
        return _reader(
            connection,
            server_cursor.description,
            lambda: iter(lambda: server_cursor.fetchmany(BATCH_ROWS), []),
        )

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            connection = self._connection
        if connection is not None:
            connection.cancel_safe(timeout=5)

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        stopped = self._cancelled.is_set()
        if stopped and connection is not None:
            # A stopped query's server may not answer a ROLLBACK either: close, never wait.
            with contextlib.suppress(psycopg.Error):
                connection.close()
        with contextlib.suppress(psycopg.Error):
            self._transaction.close()
        if connection is not None:
            self._warehouse.sessions().put(connection, reuse=not stopped)


#: First keywords of statements that return rows and may run inside a server-side cursor.
_ROW_KEYWORDS = frozenset({"select", "with", "values", "table"})
_LEADING_NOISE = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/|\()*", re.DOTALL)


def returns_rows(sql: str) -> bool:
    """Whether a statement is a query (streamed through a cursor) rather than a command."""
    words = _LEADING_NOISE.sub("", sql, count=1).split(None, 1)
    return bool(words) and words[0].lower() in _ROW_KEYWORDS


def _reader(
    connection: Connection[Any],
    description: list[PgColumn] | None,
    chunks: Callable[[], Iterable[list[Any]]],
) -> pa.RecordBatchReader:
    if description is None:
        return pa.RecordBatchReader.from_batches(pa.schema([]), [])
    fields, converters = zip(*(arrow_field(connection, c) for c in description), strict=True)
    schema = pa.schema(list(fields))
    batches = (to_batch(schema, converters, chunk) for chunk in chunks() if chunk)
    return pa.RecordBatchReader.from_batches(schema, batches)


class PostgresWarehouse(Warehouse):
    """A PostgreSQL database."""

    kind: ClassVar[str] = "postgres"
    label: ClassVar[str] = "PostgreSQL"
    options_model: ClassVar[type[BaseModel]] = PostgresOptions
    quirks = QUIRKS

    def __init__(self, options: PostgresOptions, credentials: Any = None) -> None:
        self.options = options
        self._sessions: IdleConnections | None = None
        self._lock = threading.Lock()

    def sessions(self) -> IdleConnections:
        """Connections to the server, made on demand."""
        with self._lock:
            if self._sessions is None:
                o = self.options
                self._sessions = IdleConnections(
                    {
                        "host": o.host,
                        "port": o.port,
                        "dbname": o.database,
                        "user": o.user,
                        "password": o.password.get_secret_value() if o.password else None,
                        "sslmode": o.sslmode,
                        "connect_timeout": o.connect_timeout,
                        "application_name": "belvedere",
                    },
                    read_only=o.read_only,
                )
            return self._sessions

    def query(
        self, sql: str, params: Params = None, context: QueryContext | None = None
    ) -> PostgresQuery:
        return PostgresQuery(self, sql, params, context)

    def _rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        try:
            with self.sessions().connection() as connection:
                return connection.execute(sql, params).fetchall()
        except (psycopg.Error, TimeoutError) as exc:
            raise self.translate_error(exc, sql) from exc

    def list_schemas(self) -> list[str]:
        rows = self._rows(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname <> 'information_schema' AND has_schema_privilege(oid, 'USAGE') "
            "ORDER BY 1"
        )
        return [r[0] for r in rows]

    def list_tables(self, schema: str) -> list[TableInfo]:
        rows = self._rows(
            "SELECT c.relname, c.relkind, coalesce(obj_description(c.oid, 'pg_class'), '') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1",
            [schema],
        )
        return [
            TableInfo(schema, name, _kind(kind), description) for name, kind, description in rows
        ]

    def describe(self, schema: str, table: str) -> TableInfo:
        tables = self._tables([schema], table=table)
        if not tables:
            raise WarehouseError(ErrorKind.NOT_FOUND, f"table {schema}.{table} not found")
        return tables[0]

    def load_catalog(self, schemas: Sequence[str] | None = None) -> list[SchemaInfo]:
        """Tables and columns of every schema in one catalog query."""
        return group_by_schema(self._tables(schemas))

    def _tables(
        self, schemas: Sequence[str] | None = None, *, table: str | None = None
    ) -> list[TableInfo]:
        sql = (
            "SELECT n.nspname, c.relname, c.relkind, a.attname, "
            "format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, "
            "coalesce(col_description(c.oid, a.attnum), '') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') "
            "AND n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'"
        )
        params: list[Any] = []
        if schemas is not None:
            sql += " AND n.nspname = ANY(%s)"
            params.append(list(schemas))
        if table is not None:
            sql += " AND c.relname = %s"
            params.append(table)
        sql += " ORDER BY 1, 2, a.attnum"
        tables: dict[tuple[str, str], tuple[str, list[ColumnInfo]]] = {}
        for schema, name, kind, column, data_type, nullable, description in self._rows(sql, params):
            entry = tables.setdefault((schema, name), (kind, []))
            entry[1].append(ColumnInfo(column, data_type, nullable, description))
        return [
            TableInfo(schema, name, _kind(kind), columns=tuple(cols))
            for (schema, name), (kind, cols) in tables.items()
        ]

    def translate_error(
        self, exc: Exception, sql: str | None = None, position_offset: int = 0
    ) -> Exception:
        if isinstance(exc, WarehouseError):
            return exc
        if isinstance(exc, TimeoutError | psycopg.OperationalError) and not getattr(
            exc, "sqlstate", None
        ):
            return WarehouseError(
                ErrorKind.UNAVAILABLE, f"cannot reach PostgreSQL at {self.options.host}: {exc}"
            )
        if not isinstance(exc, psycopg.Error):
            return exc
        state = exc.sqlstate or ""
        kind = SQLSTATE_KINDS.get(state) or SQLSTATE_KINDS.get(state[:2], ErrorKind.INTERNAL)
        diag = exc.diag
        message = diag.message_primary or str(exc)
        if diag.message_hint:
            message += f" (hint: {diag.message_hint})"
        if state == READ_ONLY_SQLSTATE and self.options.read_only:
            message += (
                ". Belvedere runs SQL on this connection read-only; an admin can turn the "
                "connection's read_only option off."
            )
        line = column = None
        if diag.statement_position and sql is not None:
            offset = int(diag.statement_position) - 1 - position_offset
            line, column = line_and_column(sql, offset)
        return WarehouseError(kind, message, line=line, column=column)

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, None
        if sessions is not None:
            sessions.close()


def _kind(relkind: str) -> str:
    return {"v": "view", "m": "materialized view", "f": "foreign table"}.get(relkind, "table")
