"""The catalog of a BigQuery project: its outline at once (``datasets.list``, then
``tables.list`` per dataset), then its columns in bulk: a few INFORMATION_SCHEMA queries per
dataset, never one ``tables.get`` per table.

Per dataset, one query returns tables, views, columns (types with nested fields, partitioning
and clustering) and table descriptions; two more, best effort, add row counts and sizes
(``PARTITIONS``) and column descriptions (``COLUMN_FIELD_PATHS``). A dataset whose core query
fails (no access, say) carries the error and never blanks the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from belvedere.warehouses.base import ColumnInfo, SchemaInfo, TableInfo
from belvedere.warehouses.bigquery.schema import column_of_type

log = logging.getLogger(__name__)

#: Datasets loaded at once.
PARALLEL_DATASETS = 8
#: Tables asked per ``tables.list`` page (the API's default is 50).
TABLES_PAGE = 1000

CORE_SQL = """
SELECT t.table_name, t.table_type, c.column_name, c.data_type, c.is_nullable,
       c.is_partitioning_column, c.clustering_ordinal_position, o.option_value AS description
FROM `{dataset}.INFORMATION_SCHEMA.TABLES` AS t
LEFT JOIN `{dataset}.INFORMATION_SCHEMA.COLUMNS` AS c ON c.table_name = t.table_name
LEFT JOIN (
  SELECT table_name, option_value FROM `{dataset}.INFORMATION_SCHEMA.TABLE_OPTIONS`
  WHERE option_name = 'description'
) AS o ON o.table_name = t.table_name
ORDER BY t.table_name, c.ordinal_position
"""

STATS_SQL = """
SELECT table_name, SUM(total_rows) AS row_count, SUM(total_logical_bytes) AS size_bytes
FROM `{dataset}.INFORMATION_SCHEMA.PARTITIONS`
GROUP BY table_name
"""

DESCRIPTIONS_SQL = """
SELECT table_name, field_path, description
FROM `{dataset}.INFORMATION_SCHEMA.COLUMN_FIELD_PATHS`
WHERE description IS NOT NULL AND description != ''
"""

#: Runs a metadata query, returns its rows as dicts; errors are the warehouse's.
Fetch = Callable[[str], list[dict[str, Any]]]


def outline(
    datasets: Sequence[str],
    list_tables: Callable[[str], list[TableInfo]],
    explain: Callable[[Exception], str],
) -> list[SchemaInfo]:
    """Every dataset's tables without columns, the datasets listed in parallel; a dataset
    whose listing fails carries the error."""

    def listed(dataset: str) -> SchemaInfo:
        try:
            return SchemaInfo(dataset, tuple(list_tables(dataset)))
        except Exception as exc:  # this dataset's problem, reported in its place
            return SchemaInfo(dataset, error=explain(exc))

    return _each(listed, datasets)


def _each(load: Callable[[str], SchemaInfo], datasets: Sequence[str]) -> list[SchemaInfo]:
    """``load`` of every dataset, ``PARALLEL_DATASETS`` at a time; one dataset (the schema
    browser loads columns dataset by dataset) on the calling thread, with no pool to start."""
    if len(datasets) <= 1:
        return [load(d) for d in datasets]
    with ThreadPoolExecutor(min(PARALLEL_DATASETS, len(datasets))) as pool:
        return list(pool.map(load, datasets))


def load_datasets(
    project: str, datasets: Sequence[str], fetch: Fetch, explain: Callable[[Exception], str]
) -> list[SchemaInfo]:
    """Every dataset's tables and columns, the datasets loaded in parallel."""
    return _each(lambda d: _load(project, d, fetch, explain), datasets)


def _load(
    project: str, dataset: str, fetch: Fetch, explain: Callable[[Exception], str]
) -> SchemaInfo:
    qualified = f"{project}.{dataset}"
    try:
        rows = fetch(CORE_SQL.format(dataset=qualified))
    except Exception as exc:  # this dataset's problem, reported in its place
        return SchemaInfo(dataset, error=explain(exc))
    tables = _tables(dataset, rows)
    stats = _best_effort(fetch, STATS_SQL.format(dataset=qualified), "sizes", dataset)
    described = _best_effort(
        fetch, DESCRIPTIONS_SQL.format(dataset=qualified), "column descriptions", dataset
    )
    by_table: dict[str, dict[str, Any]] = {r["table_name"]: r for r in stats}
    descriptions: dict[tuple[str, str], str] = {
        (r["table_name"], r["field_path"]): r["description"] for r in described
    }
    enriched = []
    for table in tables:
        stat = by_table.get(table.name, {})
        columns = _describe(table.name, table.columns, descriptions, "")
        enriched.append(
            replace(
                table,
                columns=columns,
                row_count=_int(stat.get("row_count")),
                size_bytes=_int(stat.get("size_bytes")),
            )
        )
    return SchemaInfo(dataset, tuple(enriched))


def _best_effort(fetch: Fetch, sql: str, what: str, dataset: str) -> list[dict[str, Any]]:
    try:
        return fetch(sql)
    except Exception as exc:  # an enrichment; the catalog stands without it
        log.info("no %s for dataset %s: %s", what, dataset, exc)
        return []


def _tables(dataset: str, rows: list[dict[str, Any]]) -> list[TableInfo]:
    grouped: dict[str, tuple[dict[str, Any], list[ColumnInfo]]] = {}
    for row in rows:
        entry = grouped.setdefault(row["table_name"], (row, []))
        if row.get("column_name"):
            entry[1].append(
                column_of_type(
                    row["column_name"],
                    row["data_type"] or "",
                    nullable=row.get("is_nullable") != "NO",
                    partitioning=row.get("is_partitioning_column") == "YES",
                    clustering=_int(row.get("clustering_ordinal_position")),
                )
            )
    return [
        TableInfo(
            schema=dataset,
            name=name,
            kind=table_kind(first["table_type"]),
            description=_option_text(first.get("description")),
            columns=tuple(columns),
        )
        for name, (first, columns) in grouped.items()
    ]


def _describe(
    table: str,
    columns: tuple[ColumnInfo, ...],
    descriptions: dict[tuple[str, str], str],
    prefix: str,
) -> tuple[ColumnInfo, ...]:
    if not descriptions:
        return columns
    return tuple(
        replace(
            c,
            description=descriptions.get((table, prefix + c.name), c.description),
            fields=_describe(table, c.fields, descriptions, f"{prefix}{c.name}."),
        )
        for c in columns
    )


def table_kind(table_type: str | None) -> str:
    """Belvedere's name of a BigQuery table type."""
    return {
        "VIEW": "view",
        "MATERIALIZED VIEW": "materialized view",
        "EXTERNAL": "external table",
        "SNAPSHOT": "snapshot",
    }.get(table_type or "", "table")


def _option_text(value: str | None) -> str:
    """TABLE_OPTIONS values are literals: ``"a description"``."""
    if not value:
        return ""
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return value
    return parsed if isinstance(parsed, str) else value


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
