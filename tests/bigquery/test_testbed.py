"""The BigQuery test bed itself: the seeded emulator, read with the raw SDK through the proxies,
and the proxies' recordings and faults. (Belvedere's own BigQuery tests build on these.)"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from google.api_core import exceptions
from google.cloud import bigquery
from google.cloud.bigquery_storage_v1 import BigQueryReadClient, types

from tests.support.bigquery.emulator import Emulator
from tests.support.bigquery.seed import (
    BIG_ROWS,
    CATALOG_DATASETS,
    EVENTS_ROWS,
    SHOP,
    TABLES_PER_CATALOG,
    VIEW_ROWS,
    Seeded,
)
from tests.support.faults import HttpProxy, TcpProxy, bq_error, kind_is, mentions

NO_RETRY = None  # the SDK retries 5xx and resets for up to 10 minutes by default


@pytest.fixture
def client(bq_through_proxies: Emulator) -> Iterator[bigquery.Client]:
    client = bq_through_proxies.client()
    yield client
    client.close()


@pytest.fixture
def storage(bq_through_proxies: Emulator) -> Iterator[BigQueryReadClient]:
    """A Storage Read client on its own new gRPC channel (so on a new TCP connection)."""
    read_client = bq_through_proxies.storage_client()
    yield read_client
    read_client.transport.close()


def read_session(
    read_client: BigQueryReadClient, table: str, timeout: float = 10
) -> types.ReadSession:
    return read_client.create_read_session(
        parent="projects/test-project",
        read_session=types.ReadSession(
            table=f"projects/test-project/datasets/{SHOP}/tables/{table}",
            data_format=types.DataFormat.ARROW,
        ),
        max_stream_count=1,
        timeout=timeout,
        retry=NO_RETRY,
    )


# --- the seeded data --------------------------------------------------------------------------


def test_seeded_datasets_and_tables_are_listed(client: bigquery.Client, bq_seed: Seeded) -> None:
    datasets = {d.dataset_id for d in client.list_datasets()}
    assert {SHOP, *CATALOG_DATASETS} <= datasets
    listed = {name: {t.table_id for t in client.list_tables(name)} for name in CATALOG_DATASETS}
    assert sum(len(tables) for tables in listed.values()) == 5 * TABLES_PER_CATALOG >= 200
    assert listed == {name: set(bq_seed.tables[name]) for name in CATALOG_DATASETS}
    assert bq_seed.table_count >= 205


def test_catalog_tables_have_3_to_8_columns(client: bigquery.Client, bq_seed: Seeded) -> None:
    rows = client.query(
        f"SELECT table_name, COUNT(*) AS n FROM {CATALOG_DATASETS[0]}.INFORMATION_SCHEMA.COLUMNS "
        "GROUP BY table_name"
    ).result()
    widths = {row["table_name"]: row["n"] for row in rows}
    assert set(widths) == set(bq_seed.tables[CATALOG_DATASETS[0]])
    assert set(widths.values()) == {3, 4, 5, 6, 7, 8}


def test_big_has_a_million_rows(client: bigquery.Client) -> None:
    table = client.get_table(f"{SHOP}.big")
    assert table.num_rows == BIG_ROWS
    assert [(f.name, f.field_type) for f in table.schema] == [
        ("id", "INTEGER"),
        ("name", "STRING"),
        ("amount", "NUMERIC"),
        ("day", "DATE"),
        ("ts", "TIMESTAMP"),
    ]
    (row,) = client.query(
        f"SELECT COUNT(*) AS n, COUNT(name) AS named, MAX(id) AS top FROM {SHOP}.big"
    ).result()
    assert (row["n"], row["named"], row["top"]) == (BIG_ROWS, BIG_ROWS - 1000, BIG_ROWS)


def test_nested_schema(client: bigquery.Client) -> None:
    schema = {f.name: f for f in client.get_table(f"{SHOP}.nested").schema}
    customer = schema["customer"]
    assert (customer.field_type, customer.mode) == ("RECORD", "NULLABLE")
    address = {f.name: f for f in customer.fields}["address"]
    assert address.field_type == "RECORD"
    assert [f.name for f in address.fields] == ["city", "zip"]
    assert (schema["tags"].field_type, schema["tags"].mode) == ("STRING", "REPEATED")
    assert (schema["items"].field_type, schema["items"].mode) == ("RECORD", "REPEATED")
    rows = client.query(
        f"SELECT id, customer.address.city AS city, ARRAY_LENGTH(tags) AS n_tags "
        f"FROM {SHOP}.nested ORDER BY id"
    ).result()
    assert [tuple(row.values()) for row in rows] == [(1, "Oslo", 2), (2, "Bergen", 1), (3, None, 0)]


def test_events_are_partitioned_and_clustered(client: bigquery.Client) -> None:
    table = client.get_table(f"{SHOP}.events")
    assert table.time_partitioning is not None
    assert table.time_partitioning.field == "ts"
    assert table.clustering_fields == ["user_id", "kind"]
    assert table.description
    assert {f.name: f.description for f in table.schema}["user_id"] == "Who did it"
    rows = client.query(
        "SELECT column_name, is_partitioning_column, clustering_ordinal_position "
        f"FROM {SHOP}.INFORMATION_SCHEMA.COLUMNS WHERE table_name = 'events' "
        "ORDER BY ordinal_position"
    ).result()
    assert [tuple(row.values()) for row in rows] == [
        ("ts", "YES", None),
        ("user_id", "NO", 1),
        ("kind", "NO", 2),
        ("value", "NO", None),
    ]
    (row,) = client.query(
        f"SELECT COUNT(*) AS n, COUNT(DISTINCT kind) AS kinds FROM {SHOP}.events"
    ).result()
    assert (row["n"], row["kinds"]) == (EVENTS_ROWS, 3)


def test_view_of_big(client: bigquery.Client) -> None:
    assert client.get_table(f"{SHOP}.v_big").table_type == "VIEW"
    (row,) = client.query(f"SELECT COUNT(*) AS n FROM {SHOP}.v_big").result()
    assert row["n"] == VIEW_ROWS


def test_storage_read_through_the_grpc_proxy(
    client: bigquery.Client,
    storage: BigQueryReadClient,
    bq_http_proxy: HttpProxy,
    bq_grpc_proxy: TcpProxy,
) -> None:
    table = client.list_rows(f"{SHOP}.big").to_arrow(bqstorage_client=storage)
    assert table.num_rows == BIG_ROWS
    assert table.column_names == ["id", "name", "amount", "day", "ts"]
    assert sum(c.bytes_down for c in bq_grpc_proxy.connections) > 10_000_000
    assert "tabledata.list" not in {r.kind for r in bq_http_proxy.requests}

    nested = client.list_rows(f"{SHOP}.nested").to_arrow(bqstorage_client=storage)
    assert nested.column("tags").to_pylist() == [["red", "green"], ["blue"], []]


# --- the REST proxy ---------------------------------------------------------------------------


def test_recorder_sees_a_query_job(client: bigquery.Client, bq_http_proxy: HttpProxy) -> None:
    sql = f"SELECT COUNT(*) AS n FROM {SHOP}.events WHERE user_id = @user"
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("user", "INT64", 7)],
        labels={"belvedere": "testbed"},
    )
    (row,) = client.query(sql, job_config=config).result()
    assert row["n"] == EVENTS_ROWS // 50

    (body,) = bq_http_proxy.jobs_inserted()
    query = body["configuration"]["query"]
    assert query["query"] == sql
    assert query["queryParameters"][0]["name"] == "user"
    assert body["configuration"]["labels"] == {"belvedere": "testbed"}
    assert bq_http_proxy.queries() == [sql]
    inserted = bq_http_proxy.wait_for(kind_is("jobs.insert"), timeout=1)
    assert inserted.method == "POST"
    assert inserted.status == 200
    assert bq_http_proxy.cancels() == []


def test_recorder_sees_a_cancel(client: bigquery.Client, bq_http_proxy: HttpProxy) -> None:
    job = client.query("SELECT 1 AS x")
    job.result()
    client.cancel_job(job.job_id)
    (cancel,) = bq_http_proxy.cancels()
    assert job.job_id in cancel.path


def test_delay_applies_to_matching_requests(
    client: bigquery.Client, bq_http_proxy: HttpProxy
) -> None:
    bq_http_proxy.delay(1.0, when=kind_is("datasets.get"))
    started = time.monotonic()
    client.get_dataset(SHOP)
    assert time.monotonic() - started >= 1.0
    started = time.monotonic()
    client.get_table(f"{SHOP}.big")
    assert time.monotonic() - started < 1.0  # not delayed (it takes ~10 ms)


def test_status_denies_a_dataset(client: bigquery.Client, bq_http_proxy: HttpProxy) -> None:
    denied = CATALOG_DATASETS[2]
    message = f"Access Denied: Dataset test-project:{denied}: permission denied"
    bq_http_proxy.status(403, bq_error(403, "accessDenied", message), when=mentions(denied))

    with pytest.raises(exceptions.Forbidden, match="Access Denied"):
        client.query(f"SELECT * FROM {denied}.stock_06", job_retry=NO_RETRY).result()
    with pytest.raises(exceptions.Forbidden):
        client.get_dataset(denied, retry=NO_RETRY)
    assert client.get_dataset(CATALOG_DATASETS[0]).dataset_id == CATALOG_DATASETS[0]
    assert [r.status for r in bq_http_proxy.requests] == [403, 403, 200]


def test_status_times_lets_a_retry_through(
    client: bigquery.Client, bq_http_proxy: HttpProxy
) -> None:
    bq_http_proxy.status(503, when=kind_is("datasets.get"), times=1)
    assert client.get_dataset(SHOP).dataset_id == SHOP  # the SDK retries backendError
    assert [r.status for r in bq_http_proxy.requests] == [503, 200]

    bq_http_proxy.status(500)
    with pytest.raises(exceptions.InternalServerError):
        client.get_dataset(SHOP, retry=NO_RETRY)


def test_hang_is_seen_as_a_client_timeout(
    client: bigquery.Client, bq_http_proxy: HttpProxy
) -> None:
    bq_http_proxy.hang(when=kind_is("datasets.get"))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.get_dataset(SHOP, timeout=1, retry=NO_RETRY)
    assert time.monotonic() - started < 10
    # The proxy's other connections are not held up.
    assert client.get_table(f"{SHOP}.big").num_rows == BIG_ROWS
    assert [r.status for r in bq_http_proxy.requests] == [None, 200]


def test_reset_connection_is_a_connection_error(
    client: bigquery.Client, bq_http_proxy: HttpProxy
) -> None:
    bq_http_proxy.reset_connection(times=1)
    with pytest.raises(requests.exceptions.ConnectionError, match="reset"):
        client.get_dataset(SHOP, retry=NO_RETRY)
    assert client.get_dataset(SHOP).dataset_id == SHOP


def test_reset_and_close_release_hung_requests(bq_emulator: Emulator) -> None:
    proxy = HttpProxy(bq_emulator.rest_url)
    try:
        host, port = proxy.url.removeprefix("http://").split(":")
        proxy.hang()
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
            proxy.wait_for(lambda r: r.path == "/readyz", timeout=5)
            proxy.reset()  # closes the hung request's connection
            assert sock.recv(100) == b""
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
            proxy.hang()
            sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
            proxy.wait_for(lambda r: r.status is None, timeout=5)
            started = time.monotonic()
            proxy.close()
            assert time.monotonic() - started < 2
    finally:
        proxy.close()


# --- the gRPC proxy ---------------------------------------------------------------------------


def test_grpc_delay_holds_the_first_bytes_back(
    storage: BigQueryReadClient, bq_grpc_proxy: TcpProxy
) -> None:
    bq_grpc_proxy.delay(0.5)
    started = time.monotonic()
    session = read_session(storage, "nested")
    assert time.monotonic() - started >= 0.5
    assert len(session.streams) == 1
    assert bq_grpc_proxy.connections[-1].fault == "delayed"


def test_grpc_hang_after_accept_is_a_deadline(
    storage: BigQueryReadClient, bq_grpc_proxy: TcpProxy
) -> None:
    bq_grpc_proxy.hang_after_accept()
    with pytest.raises(exceptions.DeadlineExceeded):
        read_session(storage, "nested", timeout=1)
    assert bq_grpc_proxy.wait_for(lambda c: c.fault == "hung", timeout=1).bytes_down == 0


def test_grpc_reset_is_unavailable(storage: BigQueryReadClient, bq_grpc_proxy: TcpProxy) -> None:
    bq_grpc_proxy.reset_connection()
    with pytest.raises(exceptions.ServiceUnavailable):
        read_session(storage, "nested", timeout=5)
    assert {c.fault for c in bq_grpc_proxy.connections} == {"reset"}


def test_grpc_stall_is_a_stalled_stream(
    storage: BigQueryReadClient, bq_grpc_proxy: TcpProxy
) -> None:
    session = read_session(storage, "big")
    bq_grpc_proxy.stall_after(64 * 1024)
    rows: list[int] = []

    def read() -> None:
        for response in storage.read_rows(session.streams[0].name, timeout=2, retry=NO_RETRY):
            rows.append(response.row_count)

    with pytest.raises(exceptions.DeadlineExceeded):
        read()
    assert sum(rows) < BIG_ROWS
    stalled = bq_grpc_proxy.wait_for(lambda c: c.fault == "stalled", timeout=1)
    assert not stalled.closed
    bq_grpc_proxy.reset()  # closes the stalled connection
    bq_grpc_proxy.wait_for(lambda c: c.id == stalled.id and c.closed, timeout=5)


def test_a_tcp_proxy_closes_fast_with_a_hung_connection(bq_emulator: Emulator) -> None:
    proxy = TcpProxy(bq_emulator.grpc_target)
    try:
        proxy.hang_after_accept()
        host, port = proxy.target.split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            proxy.wait_for(lambda c: c.fault == "hung", timeout=5)
            started = time.monotonic()
            proxy.close()
            assert time.monotonic() - started < 2
            with contextlib.suppress(ConnectionResetError):  # closed with an RST
                assert sock.recv(100) == b""
    finally:
        proxy.close()


# --- a fresh emulator -------------------------------------------------------------------------


def test_restart_gives_a_fresh_seeded_emulator_behind_the_same_proxies(
    bq_restart: Callable[[], Seeded], client: bigquery.Client, bq_emulator: Emulator
) -> None:
    if bq_emulator.pid is None:
        pytest.skip("the emulator was given by BELVEDERE_TEST_BQEMULATOR")
    client.query(f"CREATE TABLE {SHOP}.scratch (x INT64)").result()
    old_pid = bq_emulator.pid
    seeded = bq_restart()
    assert bq_emulator.pid != old_pid
    tables = {t.table_id for t in client.list_tables(SHOP)}
    assert tables == set(seeded.tables[SHOP])  # no "scratch"
