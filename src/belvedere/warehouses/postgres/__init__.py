"""PostgreSQL."""

from belvedere.warehouses.postgres.backend import PostgresOptions, PostgresWarehouse

__all__ = ["PostgresOptions", "PostgresWarehouse"]
