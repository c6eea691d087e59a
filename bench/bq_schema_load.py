"""``bq_schema_load``: the schema tree of a 1,000-table BigQuery catalog (first tree, full
catalog), and searching a 10,000-table one.

Load: ``DATASETS`` datasets x ``TABLES`` tables x ``COLUMNS`` columns are created in the
BigQuery emulator (tables.insert: DDL costs the emulator ~40 ms a table). Belvedere: a real
``belvedere serve`` whose connection goes through a recording proxy (to count its requests);
``GET /api/v1/connections/{name}/catalog?refresh=true`` answers with every dataset's tables
(``datasets.list``, ``tables.list``): the *first tree*; the same endpoint is then asked again
every 100 ms, as the browser does, until it says ``complete`` (every dataset's columns loaded
by a few INFORMATION_SCHEMA queries): the *full catalog*. Floor of the first tree: the raw
SDK in this process straight to the emulator, ``datasets.list`` then ``tables.list`` per
dataset (same page size), one after the other. Baseline of the full catalog, what Redash did:
``datasets.list``, then per dataset ``tables.list`` and a ``tables.get`` per table; its requests
are counted in one more pass through the proxy. To show where Belvedere's time goes, the
emulator's CPU over each load is read, and Belvedere's main INFORMATION_SCHEMA query of one
dataset is timed on its own with the SDK.

Search: a synthetic catalog of ``SEARCH_TABLES`` tables and ``SEARCH_TABLES * COLUMNS`` columns
built in this process (``belvedere.catalog.model.Catalog``); ``Catalog.search`` timed for a few
queries (median of ``SEARCH_REPEATS``), and the catalog endpoint's payload (``CatalogOut``,
built as the endpoint builds it, on the event loop) built and serialized to JSON.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
from tests.support.bigquery.emulator import Emulator
from tests.support.faults import HttpProxy, RecordedRequest

from belvedere.catalog.model import Catalog
from belvedere.warehouses.base import ColumnInfo, SchemaInfo, TableInfo
from belvedere.warehouses.bigquery.catalog import CORE_SQL, TABLES_PAGE
from belvedere.web.api.schemas import CatalogOut, SchemaOut, TableSummaryOut
from bench.bq import (
    CONNECTION,
    CpuMeter,
    add_connection,
    emulator,
    emulator_pid,
    emulator_rss,
)
from bench.support import (
    Report,
    expect,
    median,
    mib,
    ms,
    profile_from_here,
    serve,
    signed_in_client,
)

NAME = "bq_schema_load"
DATASETS = 5
TABLES = 200  # per dataset
COLUMNS = 20  # per table
BELVEDERE_ROUNDS = 2  # each takes over a minute on the emulator
BASELINE_ROUNDS = 3
SEARCH_SCHEMAS = 20
SEARCH_TABLES = 10_000
SEARCH_QUERIES = ("customer", "revenue_07", "order_customer", "zzz", "e")
SEARCH_REPEATS = 5
TARGET_SEARCH_SECONDS = 0.100
TARGET_FIRST_TREE_SECONDS = 1.0
FLOOR_ROUNDS = 5
POLL_SECONDS = 0.1
LOAD_TIMEOUT_SECONDS = 900.0

TYPES = ("STRING", "INT64", "FLOAT64", "NUMERIC", "BOOL", "DATE", "TIMESTAMP", "DATETIME")
WORDS = (
    "customer", "order", "amount", "created", "status", "region", "product", "price",
    "quantity", "email", "country", "updated", "discount", "channel", "session", "device",
    "campaign", "revenue", "currency", "store",
)  # fmt: skip


def _dataset(index: int) -> str:
    return f"wide_{index:02d}"


def _table(index: int) -> str:
    return f"{WORDS[index % len(WORDS)]}_{WORDS[index // len(WORDS) % len(WORDS)]}_{index:03d}"


def _column(table: int, column: int) -> tuple[str, str]:
    """Name and type of a column of a table."""
    return f"{WORDS[(table + column) % len(WORDS)]}_{column:02d}", TYPES[(table + column) % 8]


# -- the emulator's catalog ---------------------------------------------------------------
def _create_catalog(emu: Emulator) -> float:
    """Create the datasets and tables (tables.insert); seconds it took."""
    from google.cloud import bigquery

    client = emu.client()
    start = time.perf_counter()
    try:
        for d in range(DATASETS):
            client.create_dataset(f"{emu.project}.{_dataset(d)}")
            for t in range(TABLES):
                table = bigquery.Table(
                    f"{emu.project}.{_dataset(d)}.{_table(t)}",
                    schema=[bigquery.SchemaField(*_column(t, c)) for c in range(COLUMNS)],
                )
                if t % 10 == 0:
                    table.description = f"Table {t} of dataset {d}"
                client.create_table(table)
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return time.perf_counter() - start


def _redash_style(emu: Emulator) -> tuple[float, int, int]:
    """datasets.list, tables.list per dataset, tables.get per table: seconds, tables, columns."""
    client = emu.client()
    tables = columns = 0
    start = time.perf_counter()
    try:
        for dataset in client.list_datasets(emu.project):
            for item in client.list_tables(dataset.reference):
                columns += len(client.get_table(item.reference).schema)
                tables += 1
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return time.perf_counter() - start, tables, columns


def _listing_floor(emu: Emulator) -> tuple[float, int]:
    """datasets.list, then tables.list per dataset (paged as Belvedere pages): seconds,
    tables."""
    client = emu.client()
    tables = 0
    start = time.perf_counter()
    try:
        for dataset in client.list_datasets(emu.project):
            tables += sum(1 for _ in client.list_tables(dataset.reference, page_size=TABLES_PAGE))
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return time.perf_counter() - start, tables


def _core_query_alone(emu: Emulator) -> float:
    """Belvedere's main catalog query of one dataset, run with the SDK: seconds."""
    client = emu.client()
    try:
        start = time.perf_counter()
        rows = list(client.query(CORE_SQL.format(dataset=f"{emu.project}.{_dataset(0)}")))
        elapsed = time.perf_counter() - start
    finally:
        client.close()  # type: ignore[no-untyped-call]
    expect(len(rows) == TABLES * COLUMNS, f"the core query returned {len(rows)} rows")
    return elapsed


def _catalog(client: httpx.Client, refresh: bool = False) -> dict[str, Any]:
    params = {"refresh": "true"} if refresh else {}
    response = client.get(f"/api/v1/connections/{CONNECTION}/catalog", params=params)
    expect(response.status_code == 200, f"catalog load failed: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    errors = [s["error"] for s in body["schemas"] if s["error"]]
    expect(not errors, f"datasets failed to load: {errors}")
    return body


def _belvedere_load(client: httpx.Client) -> tuple[float, float, dict[str, Any]]:
    """Seconds to the first tree (every table listed) and to the full catalog, its body."""
    start = time.perf_counter()
    body = _catalog(client, refresh=True)
    first = time.perf_counter() - start
    expect(body["table_count"] == DATASETS * TABLES, f"{body['table_count']} tables listed")
    while not body["complete"]:
        expect(time.perf_counter() - start < LOAD_TIMEOUT_SECONDS, "the catalog never completed")
        time.sleep(POLL_SECONDS)
        body = _catalog(client)
    full = time.perf_counter() - start
    columns = sum(t["column_count"] for s in body["schemas"] for t in s["tables"])
    expect(columns == DATASETS * TABLES * COLUMNS, f"{columns} columns loaded")
    return first, full, body


def _kinds(requests: list[RecordedRequest]) -> str:
    counted = Counter(r.kind for r in requests)
    return f"{len(requests)} ({', '.join(f'{k} {n}' for k, n in counted.most_common())})"


# -- search and payload, in process -------------------------------------------------------
def _synthetic_catalog() -> Catalog:
    per_schema = SEARCH_TABLES // SEARCH_SCHEMAS
    schemas = tuple(
        SchemaInfo(
            f"dataset_{s:02d}",
            tuple(
                TableInfo(
                    f"dataset_{s:02d}",
                    _table(t),
                    columns=tuple(ColumnInfo(*_column(t, c)) for c in range(COLUMNS)),
                )
                for t in range(per_schema)
            ),
        )
        for s in range(SEARCH_SCHEMAS)
    )
    return Catalog.of("synthetic", schemas, datetime.now(UTC), 0.0)


def _search_times(catalog: Catalog) -> dict[str, tuple[float, int]]:
    """Median seconds and hits (up to the default limit) per query."""
    found: dict[str, tuple[float, int]] = {}
    for query in SEARCH_QUERIES:
        times = []
        for _ in range(SEARCH_REPEATS):
            start = time.perf_counter()
            hits = catalog.search(query)
            times.append(time.perf_counter() - start)
        found[query] = (median(times), len(hits))
    return found


def _payload(catalog: Catalog, with_columns: bool) -> tuple[float, float, int]:
    """Build the endpoint's ``CatalogOut`` as it does, serialize it: seconds, seconds, bytes."""
    start = time.perf_counter()
    out = CatalogOut(
        connection=catalog.connection,
        loaded_at=catalog.loaded_at,
        load_ms=catalog.load_seconds * 1000,
        table_count=catalog.table_count,
        schemas=[
            SchemaOut(
                name=s.name,
                error=s.error,
                tables=[TableSummaryOut.of(t, with_columns) for t in s.tables],
            )
            for s in catalog.schemas
        ],
    )
    built = time.perf_counter()
    body = out.model_dump_json(by_alias=True)
    return built - start, time.perf_counter() - built, len(body.encode())


def run() -> Report:
    belvedere: list[float] = []
    first_tree: list[float] = []
    floor: list[float] = []
    baseline: list[float] = []
    meters: list[CpuMeter] = []
    load_ms: list[float] = []
    with emulator() as emu, HttpProxy(emu.rest_url) as proxy:
        created = _create_catalog(emu)
        with (
            serve(NAME) as server,
            signed_in_client(server, timeout=LOAD_TIMEOUT_SECONDS) as client,
        ):
            add_connection(client, proxy.url, emu.grpc_target)
            _redash_style(emu)  # warm-up: the SDK's code paths
            profile_from_here(server)
            ours: list[str] = []
            for _ in range(FLOOR_ROUNDS):
                seconds, tables = _listing_floor(emu)
                expect(tables == DATASETS * TABLES, f"the floor listed {tables} tables")
                floor.append(seconds)
            for round_ in range(max(BELVEDERE_ROUNDS, BASELINE_ROUNDS)):
                if round_ < BASELINE_ROUNDS:
                    seconds, tables, columns = _redash_style(emu)
                    expect(tables == DATASETS * TABLES, f"the baseline found {tables} tables")
                    expect(columns == DATASETS * TABLES * COLUMNS, f"{columns} columns found")
                    baseline.append(seconds)
                if round_ < BELVEDERE_ROUNDS:
                    proxy.clear()
                    with CpuMeter(server=server.pid, emulator=emulator_pid(emu)) as meter:
                        first, seconds, body = _belvedere_load(client)
                    first_tree.append(first)
                    belvedere.append(seconds)
                    meters.append(meter)
                    load_ms.append(float(body["load_ms"]))
                    ours.append(_kinds(proxy.requests))
                    expect(not proxy.errors, f"errors in the proxy: {proxy.errors}")
        proxy.clear()
        counted = Emulator(rest_url=proxy.url, grpc_target=emu.grpc_target, project=emu.project)
        counted_seconds = _redash_style(counted)[0]
        theirs = _kinds(proxy.requests)
        alone = _core_query_alone(emu)
        emulator_size = emulator_rss(emu)
    catalog = _synthetic_catalog()
    columns_total = sum(len(t.columns) for s in catalog.schemas for t in s.tables)
    searched = _search_times(catalog)
    payloads = {flag: _payload(catalog, flag) for flag in (False, True)}

    ratio = median(baseline) / median(belvedere)
    tables, columns = DATASETS * TABLES, DATASETS * TABLES * COLUMNS
    report = Report(
        NAME,
        f"loading a {tables:,}-table / {columns:,}-column catalog from the BigQuery emulator; "
        f"searching a {catalog.table_count:,}-table / {columns_total:,}-column one in process",
    )
    report.add(
        "catalog",
        f"{DATASETS} datasets x {TABLES} tables x {COLUMNS} columns created with tables.insert "
        f"in {created:.1f} s",
    )
    report.add(
        "baseline",
        f"Redash-style SDK loop, tables.get per table: median {median(baseline):.2f} s; "
        f"rounds {_list(baseline)} s",
    )
    report.add("  requests", f"{theirs}; {counted_seconds:.2f} s through the recording proxy")
    report.add(
        "floor",
        f"SDK datasets.list + tables.list per dataset, one after the other: median "
        f"{ms(median(floor))}; rounds {', '.join(ms(s) for s in floor)}",
    )
    report.add(
        "first tree",
        f"GET /catalog?refresh=true answered, every table listed: median "
        f"{ms(median(first_tree))}; rounds {', '.join(ms(s) for s in first_tree)} "
        f"({median(first_tree) / median(floor):.2f}x the floor)",
    )
    report.add(
        "full catalog",
        f"asked every {ms(POLL_SECONDS)} until complete: median {median(belvedere):.2f} s; "
        f"rounds {_list(belvedere)} s (server's load_ms: "
        f"{', '.join(f'{v / 1000:.2f}' for v in load_ms)} s)",
    )
    report.add("  requests", f"{ours[-1]} (through the recording proxy)")
    for number, meter in enumerate(meters, 1):
        report.add(
            f"  CPU, round {number}",
            f"emulator {meter.share('emulator')}, server {meter.share('server')} "
            f"over {meter.seconds:.1f} s",
        )
    report.add(
        "  emulator alone",
        f"the core INFORMATION_SCHEMA query of one {TABLES}-table dataset via the SDK: "
        f"{alone:.2f} s (x {DATASETS} datasets = {alone * DATASETS:.1f} s, run one at a time); "
        f"emulator RSS {mib(emulator_size)} at the end",
    )
    report.add("ratio", f"baseline time / full catalog time (medians) = {ratio:.2f} (not a target)")
    for query, (seconds, hits) in searched.items():
        report.add(f"search {query!r}", f"median {ms(seconds)}, {hits} hits (limit 100)")
    for flag, (build, dump, size) in payloads.items():
        report.add(
            f"payload columns={str(flag).lower()}",
            f"CatalogOut built in {ms(build)} (on the event loop), JSON in {ms(dump)}, "
            f"{size / 2**20:.1f} MiB",
        )
    report.target(
        f"first tree < {ms(TARGET_FIRST_TREE_SECONDS)} (median)",
        median(first_tree) < TARGET_FIRST_TREE_SECONDS,
    )
    slowest = max(seconds for seconds, _ in searched.values())
    report.target(
        f"every search median < {ms(TARGET_SEARCH_SECONDS)} on {catalog.table_count:,} tables",
        slowest < TARGET_SEARCH_SECONDS,
    )
    return report


def _list(seconds: list[float]) -> str:
    return ", ".join(f"{s:.2f}" for s in seconds)
