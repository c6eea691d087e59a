"""The data the BigQuery tests read, created in an emulator by :func:`seed`.

Dataset ``shop``:

- ``big``: 1,000,000 rows ``id INT64, name STRING, amount NUMERIC, day DATE, ts TIMESTAMP``;
  ``id`` runs 1..1,000,000, ``name`` is ``item-<id>`` (NULL when ``id`` is a multiple of 1,000),
  ``amount`` is ``id / 100``, ``day`` cycles through 2024, ``ts`` is 2024-01-01 plus ``id``
  seconds.
- ``nested``: 3 rows with ``customer STRUCT<name, address STRUCT<city, zip>>``,
  ``tags ARRAY<STRING>`` and ``items ARRAY<STRUCT<sku STRING, qty INT64>>`` (row 3: empty arrays,
  NULL address fields).
- ``events``: 10,000 rows ``ts TIMESTAMP NOT NULL, user_id INT64, kind STRING, value FLOAT64``,
  partitioned by ``DATE(ts)``, clustered by ``(user_id, kind)``, with a table description and a
  description on ``user_id``; made with tables.insert, since the emulator accepts DDL's
  ``PARTITION BY`` but does not record it.
- ``all_types``: one column of every scalar type, JSON and GEOGRAPHY included (DDL would turn
  those into STRING and BYTES), 3 streamed rows, the last all NULL. Query ``ST_ASTEXT(g)``, not
  ``g``: the emulator types a query's GEOGRAPHY column BYTES but sends WKT, which the SDK cannot
  decode (the Storage Read API sends WKB).
- ``v_big``: a view of every tenth row of ``big`` (100,000 rows).

Datasets ``catalog_01`` to ``catalog_05``: 45 empty tables each, 3 to 8 columns of varied types,
for catalog browsing at scale.

Dataset ``secure`` (per-user identity) is made apart: see :mod:`tests.support.bigquery.secure`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.cloud import bigquery

    from tests.support.bigquery.emulator import Emulator

SHOP = "shop"
BIG_ROWS = 1_000_000
NESTED_ROWS = 3
EVENTS_ROWS = 10_000
ALL_TYPES_ROWS = 3
VIEW_ROWS = BIG_ROWS // 10
CATALOG_DATASETS = tuple(f"catalog_{n:02d}" for n in range(1, 6))
TABLES_PER_CATALOG = 45

_BIG = f"""
CREATE TABLE {SHOP}.big AS
SELECT
  id,
  IF(MOD(id, 1000) = 0, NULL, CONCAT('item-', CAST(id AS STRING))) AS name,
  CAST(id AS NUMERIC) / 100 AS amount,
  DATE_ADD(DATE '2024-01-01', INTERVAL MOD(id, 366) DAY) AS day,
  TIMESTAMP_ADD(TIMESTAMP '2024-01-01 00:00:00+00', INTERVAL id SECOND) AS ts
FROM UNNEST(GENERATE_ARRAY(1, {BIG_ROWS})) AS id
"""

# The emulator needs named STRUCT fields; CAST(... AS INT64) keeps ids INT64 in Arrow too
# (a bare literal becomes DuckDB's 32-bit INTEGER there).
_NESTED = f"""
CREATE TABLE {SHOP}.nested AS
SELECT CAST(1 AS INT64) AS id,
  STRUCT('ann' AS name, STRUCT('Oslo' AS city, '0150' AS zip) AS address) AS customer,
  ['red', 'green'] AS tags,
  [STRUCT('kettle' AS sku, CAST(2 AS INT64) AS qty), STRUCT('mug' AS sku, CAST(1 AS INT64) AS qty)]
    AS items
UNION ALL
SELECT CAST(2 AS INT64),
  STRUCT('bob' AS name, STRUCT('Bergen' AS city, '5003' AS zip) AS address),
  ['blue'],
  [STRUCT('tea' AS sku, CAST(5 AS INT64) AS qty)]
UNION ALL
SELECT CAST(3 AS INT64),
  STRUCT('cy' AS name, STRUCT(CAST(NULL AS STRING) AS city, CAST(NULL AS STRING) AS zip)
    AS address),
  CAST([] AS ARRAY<STRING>),
  CAST([] AS ARRAY<STRUCT<sku STRING, qty INT64>>)
"""

# Computed ARRAY offsets are off by one in the emulator: CASE, not [OFFSET(MOD(n, 3))].
_EVENTS_FILL = f"""
INSERT INTO {SHOP}.events (ts, user_id, kind, value)
SELECT
  TIMESTAMP_ADD(TIMESTAMP '2024-03-01 00:00:00+00', INTERVAL n * 7 MINUTE),
  MOD(n, 50) + 1,
  CASE MOD(n, 3) WHEN 0 THEN 'view' WHEN 1 THEN 'click' ELSE 'buy' END,
  n * 0.5
FROM UNNEST(GENERATE_ARRAY(0, {EVENTS_ROWS - 1})) AS n
"""

_VIEW = f"CREATE VIEW {SHOP}.v_big AS SELECT id, name, amount FROM {SHOP}.big WHERE MOD(id, 10) = 0"

_ALL_TYPES_SCHEMA = (
    ("b", "BOOLEAN"),
    ("i", "INTEGER"),
    ("f", "FLOAT"),
    ("n", "NUMERIC"),
    ("s", "STRING"),
    ("by", "BYTES"),
    ("d", "DATE"),
    ("dt", "DATETIME"),
    ("t", "TIME"),
    ("ts", "TIMESTAMP"),
    ("j", "JSON"),
    ("g", "GEOGRAPHY"),
)
_ALL_TYPES_ROWS: list[dict[str, Any]] = [
    {
        "b": True,
        "i": 42,
        "f": 1.5,
        "n": "12.34",
        "s": "héllo",
        "by": "AAEC",  # base64 of 00 01 02
        "d": "2024-02-29",
        "dt": "2024-02-29T12:34:56.789",
        "t": "12:34:56",
        "ts": "2024-02-29T12:34:56.789Z",
        "j": '{"a": [1, 2]}',
        "g": "POINT(10.75 59.91)",
    },
    {
        "b": False,
        "i": -1,
        "f": -0.25,
        "n": "-0.000000001",
        "s": "",
        "by": "",
        "d": "1970-01-01",
        "dt": "1970-01-01T00:00:00",
        "t": "00:00:00",
        "ts": "1970-01-01T00:00:00Z",
        "j": "null",
        "g": "LINESTRING(0 0, 1 1)",
    },
    {name: None for name, _ in _ALL_TYPES_SCHEMA},
]

# (name, DDL type) pairs the catalog tables draw their columns from; no DuckDB reserved words
# (the emulator passes names through: a column named ``at`` fails).
_CATALOG_COLUMNS = (
    ("label", "STRING"),
    ("price", "NUMERIC"),
    ("ratio", "FLOAT64"),
    ("active", "BOOL"),
    ("born", "DATE"),
    ("seen_at", "TIMESTAMP"),
    ("local_time", "DATETIME"),
    ("payload", "BYTES"),
    ("opens", "TIME"),
    ("tags", "ARRAY<STRING>"),
    ("point", "STRUCT<x FLOAT64, y FLOAT64>"),
)
_CATALOG_NOUNS = ("orders", "customers", "invoices", "products", "visits", "stock", "refunds")


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed` created."""

    project: str
    tables: Mapping[str, tuple[str, ...]]
    """Dataset id → the ids of its tables and views."""
    seconds: float
    """How long seeding took."""

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(self.tables)

    @property
    def table_count(self) -> int:
        return sum(len(tables) for tables in self.tables.values())


def catalog_table_ddl(dataset: str, index: int) -> tuple[str, str]:
    """The name and ``CREATE TABLE`` statement of catalog table ``index`` of ``dataset``."""
    name = f"{_CATALOG_NOUNS[index % len(_CATALOG_NOUNS)]}_{index:02d}"
    extra = 2 + index % 6  # 3 to 8 columns with the id
    columns = ["id INT64 NOT NULL"] + [
        f"{column} {kind}"
        for column, kind in (
            _CATALOG_COLUMNS[(index + k) % len(_CATALOG_COLUMNS)] for k in range(extra)
        )
    ]
    options = f" OPTIONS(description='{name} of {dataset}')" if index % 5 == 0 else ""
    return name, f"CREATE TABLE {dataset}.{name} ({', '.join(columns)}){options}"


def run_sql(client: bigquery.Client, sql: str) -> None:
    client.query(sql).result(timeout=120)


def _create_events(client: bigquery.Client, project: str) -> None:
    from google.cloud import bigquery

    table = bigquery.Table(
        f"{project}.{SHOP}.events",
        schema=[
            bigquery.SchemaField("ts", "TIMESTAMP", mode="REQUIRED"),
            bigquery.SchemaField("user_id", "INTEGER", description="Who did it"),
            bigquery.SchemaField("kind", "STRING"),
            bigquery.SchemaField("value", "FLOAT"),
        ],
    )
    table.description = "What users did, one row per event"
    table.time_partitioning = bigquery.TimePartitioning(field="ts")
    table.clustering_fields = ["user_id", "kind"]
    client.create_table(table)
    run_sql(client, _EVENTS_FILL)


def _create_all_types(client: bigquery.Client, project: str) -> None:
    from google.cloud import bigquery

    table = client.create_table(
        bigquery.Table(
            f"{project}.{SHOP}.all_types",
            schema=[bigquery.SchemaField(name, kind) for name, kind in _ALL_TYPES_SCHEMA],
        )
    )
    errors = client.insert_rows_json(table, _ALL_TYPES_ROWS, row_ids=[None] * ALL_TYPES_ROWS)
    if errors:
        raise RuntimeError(f"streaming the all_types rows failed: {errors}")


def expected(project: str) -> Seeded:
    """What :func:`seed` creates, without creating it (``seconds`` is 0)."""
    tables: dict[str, tuple[str, ...]] = {SHOP: ("big", "nested", "events", "all_types", "v_big")}
    for dataset in CATALOG_DATASETS:
        tables[dataset] = tuple(
            catalog_table_ddl(dataset, index)[0] for index in range(TABLES_PER_CATALOG)
        )
    return Seeded(project=project, tables=tables, seconds=0.0)


def is_seeded(emulator: Emulator) -> bool:
    """Whether the emulator holds the last table :func:`seed` creates (e.g. one started by
    ``BELVEDERE_TEST_BQEMULATOR`` and seeded by an earlier session)."""
    from google.api_core.exceptions import NotFound

    dataset = CATALOG_DATASETS[-1]
    name = catalog_table_ddl(dataset, TABLES_PER_CATALOG - 1)[0]
    client = emulator.client()
    try:
        client.get_table(f"{emulator.project}.{dataset}.{name}")
    except NotFound:
        return False
    finally:
        client.close()
    return True


def seed(emulator: Emulator) -> Seeded:
    """Create the data described at the top of this module in an empty emulator."""
    from google.cloud import bigquery

    started = time.monotonic()
    client = emulator.client()
    project = emulator.project
    try:
        shop = bigquery.Dataset(f"{project}.{SHOP}")
        shop.description = "A small shop"
        client.create_dataset(shop)
        run_sql(client, _BIG)
        run_sql(client, _NESTED)
        _create_events(client, project)
        _create_all_types(client, project)
        run_sql(client, _VIEW)
        for dataset_id in CATALOG_DATASETS:
            dataset = bigquery.Dataset(f"{project}.{dataset_id}")
            dataset.description = f"Catalog {dataset_id[-2:]}"
            client.create_dataset(dataset)
            for index in range(TABLES_PER_CATALOG):
                run_sql(client, catalog_table_ddl(dataset_id, index)[1])
    finally:
        client.close()
    return replace(expected(project), seconds=time.monotonic() - started)
