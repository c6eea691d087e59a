"""Which backends exist; each is imported when a connection of its kind is first used, or
all at once by :func:`preload`."""

from __future__ import annotations

import importlib

from belvedere.warehouses.base import Warehouse

#: Connection kind -> "module:class" of its backend.
BACKENDS: dict[str, str] = {
    "duckdb": "belvedere.warehouses.duckdb.backend:DuckDBWarehouse",
    "postgres": "belvedere.warehouses.postgres.backend:PostgresWarehouse",
    "bigquery": "belvedere.warehouses.bigquery.backend:BigQueryWarehouse",
}


class UnknownBackend(LookupError):
    """No backend of that kind."""


def preload() -> None:
    """Import every backend now (blocking; a second or so for the BigQuery SDK): a server
    does it at start, off its event loop, rather than on the first query of each kind."""
    for kind in BACKENDS:
        backend_class(kind)


def backend_class(kind: str) -> type[Warehouse]:
    """The backend class of a connection kind."""
    try:
        module_name, class_name = BACKENDS[kind].split(":")
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise UnknownBackend(f"unknown connection kind {kind!r} (known: {known})") from None
    cls: type[Warehouse] = getattr(importlib.import_module(module_name), class_name)
    return cls
