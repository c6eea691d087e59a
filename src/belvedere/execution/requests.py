"""What a caller asks the execution service to run."""

from __future__ import annotations

import json
from dataclasses import dataclass

from belvedere.execution.runs import Actor, Surface
from belvedere.warehouses.base import Params


@dataclass(frozen=True)
class TableRef:
    """A table of a connection's warehouse."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"

    def stored(self) -> str:
        """How a run records it (unambiguous whatever the names hold)."""
        return json.dumps([self.schema, self.name])

    @classmethod
    def from_stored(cls, text: str) -> TableRef:
        schema, name = json.loads(text)
        return cls(schema, name)


@dataclass(frozen=True)
class QueryRequest:
    """One query to run. Unset limits come from the connection, then from settings."""

    connection: str
    sql: str
    actor: Actor
    surface: Surface
    params: Params = None
    timeout_seconds: float | None = None
    """Ask for a shorter deadline than the connection's; a longer one is cut to it."""
    max_rows: int | None = None
    export: bool = False
    """A full export: the export row cap applies instead of the interactive one."""
    table: TableRef | None = None
    """Read this table directly instead of running ``sql`` (which must then be empty)."""
    cache_ttl_seconds: float | None = None
    """Reuse a result of the same query, for the same identity, at most this old; ``None``:
    always run, and keep the result out of the cache."""
    force: bool = False
    """Run even if a cached result is fresh; the new result then serves later readers."""
    chart_id: int | None = None
    dashboard_id: int | None = None
    """The saved chart, and the dashboard, the run draws (recorded: spend is rolled up by them)."""
    charged_to: int | None = None
    """The user who asked for the run and pays for it, when not the actor (a schedule's owner,
    run as each recipient): their caps and budgets hold it, their spend counts it."""


@dataclass(frozen=True)
class Limits:
    """Server-wide defaults of the guards every run has."""

    timeout_seconds: float
    max_result_rows: int
    export_max_rows: int

    def deadline_seconds(self, requested: float | None, connection: float | None) -> float:
        """A run's deadline: the connection's, else the server's default. A request may only
        shorten it: the connection's is set by an admin, and is the longest a run may hold a
        warehouse."""
        ceiling = connection or self.timeout_seconds
        return min(requested, ceiling) if requested else ceiling
