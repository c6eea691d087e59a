"""What a caller asks the execution service to run."""

from __future__ import annotations

from dataclasses import dataclass

from belvedere.execution.runs import Actor, Surface
from belvedere.warehouses.base import Params


@dataclass(frozen=True)
class QueryRequest:
    """One query to run. Unset limits come from the connection, then from settings."""

    connection: str
    sql: str
    actor: Actor
    surface: Surface
    params: Params = None
    timeout_seconds: float | None = None
    max_rows: int | None = None
    export: bool = False
    """A full export: the export row cap applies instead of the interactive one."""


@dataclass(frozen=True)
class Limits:
    """Server-wide defaults of the guards every run has."""

    timeout_seconds: float
    max_result_rows: int
    export_max_rows: int
