"""Queries on BigQuery through Belvedere: jobs labelled and capped, results streamed, direct
table reads that run no query, errors people can read."""

from __future__ import annotations

import csv
import io

from tests.bigquery.conftest import BQ_CAP
from tests.support.faults import HttpProxy, TcpProxy, bq_error, kind_is
from tests.support.web.client import Client


def run(api: Client, **body: object) -> dict:  # type: ignore[type-arg]
    response = api.post("/api/v1/runs", json={"connection": "bq", "wait_ms": 30_000, **body})
    return response.json()


def test_query_is_a_labelled_capped_job(bq_api: Client, bq_http_proxy: HttpProxy) -> None:
    result = run(
        bq_api, sql="SELECT id, name FROM shop.big WHERE id <= 3 ORDER BY id", surface="sqllab"
    )
    assert result["status"] == "succeeded"
    assert result["result"]["rows"] == [[1, "item-1"], [2, "item-2"], [3, "item-3"]]
    assert [c["type"] for c in result["result"]["columns"]] == ["INT64", "STRING"]
    assert result["job_id"]  # BigQuery names the job: jobs.query takes no job id

    [call] = [r.body for r in bq_http_proxy.requests if r.kind == "jobs.query"]
    assert call["labels"] == {
        "belvedere": "true",
        "belvedere_user": "admin",
        "belvedere_surface": "sqllab",
        "belvedere_run": result["id"],
    }
    assert call["maximumBytesBilled"] == str(BQ_CAP)
    assert call["useLegacySql"] is False
    assert call["requestId"]  # a retried call cannot start a second job
    assert 0 < call["timeoutMs"] <= 2_000  # a long query's job id comes back quickly


def test_api_and_cli_surfaces_label_their_jobs(bq_api: Client, bq_http_proxy: HttpProxy) -> None:
    run(bq_api, sql="SELECT 1 AS one")
    surfaces = {
        r.body["labels"].get("belvedere_surface")
        for r in bq_http_proxy.requests
        if r.kind == "jobs.query"
    }
    assert "api" in surfaces


def test_large_result_streams_into_the_results_store(bq_api: Client) -> None:
    result = run(bq_api, sql="SELECT id, amount FROM shop.big WHERE id <= 30000")
    assert (result["status"], result["row_count"], result["truncated"]) == (
        "succeeded",
        30000,
        False,
    )
    page = bq_api.get(f"/api/v1/runs/{result['id']}/results?offset=29990&limit=20").json()
    assert len(page["rows"]) == 10


def test_table_preview_reads_rows_without_a_query(bq_api: Client, bq_http_proxy: HttpProxy) -> None:
    result = run(bq_api, table={"schema": "shop", "name": "big"}, max_rows=100)
    assert (result["status"], result["row_count"], result["truncated"]) == ("succeeded", 100, True)
    assert result["table"] == {"schema": "shop", "name": "big"}
    assert result["sql"] == "SELECT * FROM `shop`.`big`"
    kinds = {r.kind for r in bq_http_proxy.requests}
    assert "jobs.insert" not in kinds and "jobs.query" not in kinds  # no query: nothing billed
    assert "tabledata.list" in kinds


def test_whole_table_export_reads_over_the_storage_api(
    bq_api: Client, bq_http_proxy: HttpProxy, bq_grpc_proxy: TcpProxy
) -> None:
    result = run(bq_api, table={"schema": "shop", "name": "big"}, export=True)
    assert (result["status"], result["row_count"], result["truncated"]) == (
        "succeeded",
        1_000_000,
        False,
    )
    assert not bq_http_proxy.jobs_inserted()
    assert bq_grpc_proxy.connections  # the rows came over gRPC
    text = bq_api.get(f"/api/v1/runs/{result['id']}/export?format=csv").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["id", "name", "amount", "day", "ts"]
    assert len(rows) == 1_000_001


def test_view_cannot_be_read_directly(bq_api: Client) -> None:
    response = bq_api.post(
        "/api/v1/runs", json={"connection": "bq", "table": {"schema": "shop", "name": "v_big"}}
    )
    assert response.status_code == 400
    assert "query it instead" in response.json()["error"]["message"]


def test_syntax_error_has_its_position(bq_api: Client) -> None:
    response = bq_api.post(
        "/api/v1/runs", json={"connection": "bq", "sql": "SELECT *\nFORM shop.big"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "syntax_error"
    assert error["line"] is not None and error["column"] is not None


def test_missing_table(bq_api: Client) -> None:
    response = bq_api.post(
        "/api/v1/runs", json={"connection": "bq", "sql": "SELECT * FROM shop.nothing"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert "shop.nothing" in error["message"]


def test_access_denied_and_quota_read_clearly(bq_api: Client, bq_http_proxy: HttpProxy) -> None:
    bq_http_proxy.status(
        403,
        bq_error(
            403,
            "accessDenied",
            "Access Denied: Table test-project:shop.big: User does not "
            "have permission to query table test-project:shop.big.",
        ),
        when=kind_is("jobs.insert"),
        times=1,
    )
    denied = bq_api.post("/api/v1/runs", json={"connection": "bq", "sql": "SELECT 1"}).json()[
        "error"
    ]
    assert denied["code"] == "access_denied"
    assert "does not have permission" in denied["message"]
    bq_http_proxy.status(
        403,
        bq_error(
            403,
            "quotaExceeded",
            "Quota exceeded: Your project exceeded quota for free query bytes scanned.",
        ),
        when=kind_is("jobs.insert"),
        times=1,
    )
    quota = bq_api.post("/api/v1/runs", json={"connection": "bq", "sql": "SELECT 1"}).json()[
        "error"
    ]
    assert quota["code"] == "quota_exceeded"
    assert quota["message"].startswith("Quota exceeded")
