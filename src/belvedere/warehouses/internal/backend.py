"""The backend of the built-in connection: each query gets a new in-memory DuckDB engine that
holds one table, ``spend``, of the runs its asker may see (see :mod:`.spend`), so no SQL can
reach other runs, the metadata store or the server's files."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from belvedere.sql.classify import StatementRules
from belvedere.warehouses.base import (
    Params,
    QueryContext,
    SchemaInfo,
    TableInfo,
)
from belvedere.warehouses.duckdb.backend import DuckDBOptions, DuckDBQuery, DuckDBWarehouse
from belvedere.warehouses.duckdb.quirks import ENGINE_CONFIG, SANDBOX
from belvedere.warehouses.errors import ErrorKind, WarehouseError
from belvedere.warehouses.internal.spend import SPEND_INFO, SPEND_SQL, SpendScope

SCHEMA = "main"
TABLE = "spend"
#: Each query's engine: configuration locked, no files, no extensions, and no Python
#: variables read as tables.
CONFIG: dict[str, str | bool | int | float | list[str]] = {
    **ENGINE_CONFIG,
    "enable_external_access": False,
    "python_enable_replacements": False,
}
DESCRIPTION = "One row per query run (yours; an admin's: everyone's), with its bytes and cost."
NO_ASKER = (
    "The belvedere connection shows each user their own runs: run as a user "
    "(belvedere query --as USER)."
)

_rules: StatementRules | None = None
_rules_lock = threading.Lock()


class InternalOptions(BaseModel):
    """The built-in connection has no options."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _engine() -> duckdb.DuckDBPyConnection:
    """A new, empty in-memory engine (its own database: nothing is shared between them)."""
    return duckdb.connect(":memory:", config=CONFIG)


class SpendQuery(DuckDBQuery):
    """A query on its own engine, whose ``spend`` table is read from the store as it runs."""

    def __init__(
        self, engine: duckdb.DuckDBPyConnection, sql: str, params: Params, scope: SpendScope
    ) -> None:
        super().__init__(engine, sql, params)
        self._engine = engine
        self._scope = scope

    def run(self) -> pa.RecordBatchReader:
        self._engine.register("runs", self._scope.runs())
        self._engine.execute(SPEND_SQL, self._scope.parameters)
        self._engine.unregister("runs")
        return super().run()


class InternalWarehouse(DuckDBWarehouse):
    """Belvedere's own records (``spend``), for one asker: the principal's credentials are
    the :class:`SpendScope` of whose runs it sees."""

    kind: ClassVar[str] = "belvedere"
    label: ClassVar[str] = "Belvedere"
    options_model: ClassVar[type[BaseModel]] = InternalOptions

    def __init__(self, options: BaseModel, credentials: SpendScope | None = None) -> None:
        super().__init__(DuckDBOptions(path=":memory:", read_only=True, allow_file_access=False))
        self._scope = credentials

    def query(
        self, sql: str, params: Params = None, context: QueryContext | None = None
    ) -> SpendQuery:
        if self._scope is None:
            raise WarehouseError(ErrorKind.ACCESS_DENIED, NO_ASKER)
        engine = _engine()
        try:
            self._check(engine, sql)
        except BaseException:
            engine.close()
            raise
        return SpendQuery(engine, sql, params, self._scope)

    def _statement_rules(self) -> StatementRules:
        """The DuckDB sandbox's rules, read once per process (no engine kept for it)."""
        global _rules
        with _rules_lock:
            if _rules is None:
                engine = _engine()
                try:
                    found = engine.execute("SELECT name FROM duckdb_settings()").fetchall()
                finally:
                    engine.close()
                _rules = replace(SANDBOX, denied_show=frozenset(r[0].lower() for r in found))
            return _rules

    def list_schemas(self) -> list[str]:
        return [SCHEMA]

    def list_tables(self, schema: str) -> list[TableInfo]:
        return [TableInfo(SCHEMA, TABLE)] if schema == SCHEMA else []

    def describe(self, schema: str, table: str) -> TableInfo:
        if (schema, table) != (SCHEMA, TABLE):
            raise WarehouseError(ErrorKind.NOT_FOUND, f"table {schema}.{table} not found")
        return TableInfo(SCHEMA, TABLE, description=DESCRIPTION, columns=SPEND_INFO)

    def load_catalog(self, schemas: Sequence[str] | None = None) -> list[SchemaInfo]:
        if schemas is not None and SCHEMA not in schemas:
            return []
        return [SchemaInfo(SCHEMA, (self.describe(SCHEMA, TABLE),))]

    def test(self) -> None:
        """Nothing to reach: the store answers every other request already."""

    def close(self) -> None:
        """Each query's engine closes with it: nothing is held."""
