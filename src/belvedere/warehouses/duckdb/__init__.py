"""DuckDB: the embedded warehouse (and the demo)."""

from belvedere.warehouses.duckdb.backend import DuckDBOptions, DuckDBWarehouse

__all__ = ["DuckDBOptions", "DuckDBWarehouse"]
