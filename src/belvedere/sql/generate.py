"""Statements Belvedere writes itself."""

from __future__ import annotations

from sqlglot import exp


def select_all(dialect: str, schema: str, table: str, limit: int | None = None) -> str:
    """``SELECT * FROM schema.table [LIMIT n]``, names quoted for the dialect."""
    query = exp.select("*").from_(exp.table_(table, db=schema, quoted=True))
    if limit is not None:
        query = query.limit(limit)
    return query.sql(dialect=dialect)
