"""Which backends exist; each is imported when a connection of its kind is first used, or
all at once by :func:`preload`."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from belvedere.warehouses.base import Warehouse

#: Connection kind -> "module:class" of its backend.
BACKENDS: dict[str, str] = {
    "duckdb": "belvedere.warehouses.duckdb.backend:DuckDBWarehouse",
    "postgres": "belvedere.warehouses.postgres.backend:PostgresWarehouse",
    "bigquery": "belvedere.warehouses.bigquery.backend:BigQueryWarehouse",
}
#: Kinds of the built-in connections: never created, changed or removed by anyone.
INTERNAL_BACKENDS: dict[str, str] = {
    "belvedere": "belvedere.warehouses.internal.backend:InternalWarehouse",
}


class UnknownBackend(LookupError):
    """No backend of that kind."""


def preload(kinds: Iterable[str] | None = None) -> None:
    """Import the backends of ``kinds`` (default: all) now (blocking; a second or so for the
    BigQuery SDK): a server does it at start for its connections' kinds, off its event loop,
    rather than on the first query of each. The others wait for their first use: the BigQuery
    SDK and gRPC cost an idle server about 20 MB, psycopg about 8."""
    for kind in BACKENDS if kinds is None else sorted(set(kinds) & BACKENDS.keys()):
        backend_class(kind)


def backend_class(kind: str) -> type[Warehouse]:
    """The backend class of a connection kind."""
    try:
        module_name, class_name = (BACKENDS.get(kind) or INTERNAL_BACKENDS[kind]).split(":")
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise UnknownBackend(f"unknown connection kind {kind!r} (known: {known})") from None
    cls: type[Warehouse] = getattr(importlib.import_module(module_name), class_name)
    return cls
