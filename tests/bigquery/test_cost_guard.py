"""The cost guard, tested where Belvedere talks to BigQuery: the emulator's dry run always says
0 bytes and it ignores maximum_bytes_billed, so the proxy answers as BigQuery would."""

from __future__ import annotations

from tests.bigquery.conftest import BQ_CAP
from tests.costs.bq import dry_run_answer
from tests.costs.bq import is_dry_run as dry_run
from tests.support.faults import HttpProxy, bq_error, kind_is
from tests.support.web.client import Client

FIVE_TB = 5 * 1024**4


def test_estimate_before_running(bq_api: Client, bq_http_proxy: HttpProxy) -> None:
    bq_http_proxy.status(200, dry_run_answer(1288490189), when=dry_run)
    estimate = bq_api.post(
        "/api/v1/estimate", json={"connection": "bq", "sql": "SELECT * FROM shop.big"}
    ).json()
    assert estimate == {
        "supported": True,
        "bytes": 1288490189,
        "text": "will process 1.2 GB",
        "cap": BQ_CAP,
        "over_cap": False,
        "applies": True,
        "cap_from": "the connection",
        "budget_left": None,
        "budget_text": None,
        "over_budget": False,
        "raise_bytes": None,
    }
    [sent] = bq_http_proxy.jobs_inserted()
    assert sent["configuration"]["dryRun"] is True  # a dry run: nothing ran, nothing billed


def test_estimate_of_the_real_emulator(bq_api: Client) -> None:
    estimate = bq_api.post("/api/v1/estimate", json={"connection": "bq", "sql": "SELECT 1"}).json()
    assert (estimate["supported"], estimate["bytes"], estimate["text"]) == (
        True,
        0,
        "will process 0 B",
    )


def test_estimate_of_invalid_sql_says_why(bq_api: Client) -> None:
    response = bq_api.post("/api/v1/estimate", json={"connection": "bq", "sql": "SELEC 1"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "syntax_error"


def test_estimate_on_duckdb_is_not_supported(bq_api: Client, bq_services) -> None:  # type: ignore[no-untyped-def]
    bq_services.connections.add("local", "duckdb", {"path": ":memory:", "read_only": False})
    estimate = bq_api.post(
        "/api/v1/estimate", json={"connection": "local", "sql": "SELECT 1"}
    ).json()
    assert (estimate["supported"], estimate["bytes"], estimate["over_cap"]) == (False, None, False)


def test_query_over_the_cap_never_starts_a_job(bq_api: Client, bq_http_proxy: HttpProxy) -> None:
    bq_http_proxy.status(200, dry_run_answer(FIVE_TB), when=dry_run)
    response = bq_api.post(
        "/api/v1/runs", json={"connection": "bq", "sql": "SELECT * FROM shop.big"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "byte_cap_exceeded"
    assert body["error"]["message"] == (
        "This query would process 5.0 TB, more than the 931.3 GB allowed per query on bq "
        "(the connection's cap). No job was started. An admin can grant a one-off raise."
    )
    assert body["run"]["bytes_estimated"] == FIVE_TB
    jobs = bq_http_proxy.jobs_inserted()
    assert len(jobs) == 1 and jobs[0]["configuration"]["dryRun"] is True  # only the dry run


def test_cap_enforced_by_bigquery_reads_clearly(bq_api: Client, bq_http_proxy: HttpProxy) -> None:
    message = (
        "Query exceeded limit for bytes billed: 1000000000000. 2000000000000 or higher required."
    )
    bq_http_proxy.status(
        400,
        bq_error(400, "bytesBilledLimitExceeded", message),
        when=kind_is("jobs.query"),
    )
    response = bq_api.post("/api/v1/runs", json={"connection": "bq", "sql": "SELECT 1"})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "byte_cap_exceeded",
        "message": message,
        "line": None,
        "column": None,
    }
