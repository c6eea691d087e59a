"""Running queries through the API: submit, poll, cancel, page, export, history."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq

from tests.support.web.client import Client

FOREVER = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"


def test_quick_query_answers_with_the_ended_run(client: Client) -> None:
    response = client.post(
        "/api/v1/runs",
        json={
            "connection": "demo",
            "sql": "SELECT category, count(*) AS n FROM products GROUP BY 1",
        },
    )
    assert response.status_code == 200
    run = response.json()
    assert (run["status"], run["row_count"], run["truncated"]) == ("succeeded", 8, False)
    assert run["elapsed_ms"] >= 0
    assert run["result"]["total_rows"] == 8  # the first page comes with the answer
    assert len(run["result"]["rows"]) == 8
    page = client.get(f"/api/v1/runs/{run['id']}/results").json()
    assert [c["name"] for c in page["columns"]] == ["category", "n"]
    assert [c["type"] for c in page["columns"]] == ["VARCHAR", "BIGINT"]
    assert page["total_rows"] == 8
    assert sum(row[1] for row in page["rows"]) == 2000


def test_long_query_is_polled_and_cancelled(client: Client) -> None:
    response = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": FOREVER, "wait_ms": 0}
    )
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert client.get(f"/api/v1/runs/{run_id}").json()["status"] in ("queued", "running")
    cancelled = client.post(f"/api/v1/runs/{run_id}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["error"]["message"] == "Cancelled by the user."
    assert client.get(f"/api/v1/runs/{run_id}?wait_ms=100").json()["status"] == "cancelled"


def test_deadline_from_the_request(client: Client) -> None:
    response = client.post(
        "/api/v1/runs",
        json={"connection": "demo", "sql": FOREVER, "timeout_seconds": 0.3, "wait_ms": 10000},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "timed_out"
    assert "within its 0.3 s deadline" in response.json()["error"]["message"]
    # The deadline counts from the queueing, the run time from its start, a moment later.
    assert 0 < response.json()["elapsed_ms"] < 5000


def test_deadline_from_the_connection(client: Client) -> None:
    client.patch("/api/v1/connections/demo", json={"timeout_seconds": 0.3})
    response = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": FOREVER, "wait_ms": 10000}
    )
    assert response.json()["status"] == "timed_out"


def test_first_page_in_the_answer_is_bounded(client: Client) -> None:
    sql = "SELECT * FROM order_lines LIMIT 500"
    run = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": sql, "page_size": 20}
    ).json()
    assert (len(run["result"]["rows"]), run["result"]["total_rows"]) == (20, 500)
    bare = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": sql, "page_size": 0}
    ).json()
    assert bare["result"] is None


def test_paging_through_a_large_result(client: Client) -> None:
    run = client.post(
        "/api/v1/runs",
        json={
            "connection": "demo",
            "sql": "SELECT * FROM order_lines ORDER BY order_line_id LIMIT 2500",
        },
    ).json()
    page = client.get(f"/api/v1/runs/{run['id']}/results?offset=2400&limit=1000").json()
    assert page["total_rows"] == 2500
    assert len(page["rows"]) == 100
    assert page["rows"][0][0] == 2401
    decimal_column = [c["name"] for c in page["columns"]].index("unit_price")
    assert isinstance(page["rows"][0][decimal_column], str)  # decimals keep their precision


def test_truncated_result_offers_a_full_export(client: Client) -> None:
    sql = "SELECT * FROM order_lines LIMIT 150000"
    interactive = client.post("/api/v1/runs", json={"connection": "demo", "sql": sql}).json()
    assert (interactive["row_count"], interactive["truncated"]) == (100_000, True)
    export = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": sql, "export": True, "wait_ms": 20000}
    ).json()
    assert (export["row_count"], export["truncated"]) == (150_000, False)
    response = client.get(f"/api/v1/runs/{export['id']}/export?format=csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="demo-' in response.headers["content-disposition"]
    lines = response.text.splitlines()
    assert len(lines) == 150_001
    assert lines[0].startswith('"order_line_id","order_id"')


def test_export_formats_round_trip(client: Client) -> None:
    sql = "SELECT region_id, region, country FROM regions ORDER BY region_id"
    run_id = client.post("/api/v1/runs", json={"connection": "demo", "sql": sql}).json()["id"]
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/api/v1/runs/{run_id}/export?format=csv").text))
    )
    assert rows[0] == {"region_id": "1", "region": "North America", "country": "United States"}
    as_json = json.loads(client.get(f"/api/v1/runs/{run_id}/export?format=json").content)
    assert as_json[7] == {"region_id": 8, "region": "Latin America", "country": "Brazil"}
    table = pq.read_table(
        io.BytesIO(client.get(f"/api/v1/runs/{run_id}/export?format=parquet").content)
    )
    assert table.num_rows == 8
    assert table.column("country").to_pylist()[2] == "Germany"


def test_nested_values_export_as_json_text(client: Client) -> None:
    sql = "SELECT [1, 2] AS xs, {'a': 1, 'b': 'two'} AS s, NULL AS nothing"
    run_id = client.post("/api/v1/runs", json={"connection": "demo", "sql": sql}).json()["id"]
    page = client.get(f"/api/v1/runs/{run_id}/results").json()
    assert page["rows"] == [[[1, 2], {"a": 1, "b": "two"}, None]]
    text = client.get(f"/api/v1/runs/{run_id}/export?format=csv").text
    assert text.splitlines()[1] == '"[1, 2]","{""a"": 1, ""b"": ""two""}",'


def test_history_is_newest_first_and_pages(client: Client) -> None:
    for n in range(5):
        client.post("/api/v1/runs", json={"connection": "demo", "sql": f"SELECT {n}"})
    first = client.get("/api/v1/history?limit=3").json()
    assert [r["sql"] for r in first["runs"]] == ["SELECT 4", "SELECT 3", "SELECT 2"]
    rest = client.get("/api/v1/history", params={"limit": 3, "before": first["next_before"]}).json()
    assert [r["sql"] for r in rest["runs"]] == ["SELECT 1", "SELECT 0"]
    assert rest["next_before"] is None


def test_another_user_cannot_see_my_runs(client: Client, app_client, make_user) -> None:  # type: ignore[no-untyped-def]
    from belvedere.auth.roles import Role

    run_id = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": "SELECT 'mine'"}
    ).json()["id"]
    other = app_client().login(make_user("bob", Role.EDITOR))
    for response in (
        other.get(f"/api/v1/runs/{run_id}"),
        other.get(f"/api/v1/runs/{run_id}/results"),
        other.get(f"/api/v1/runs/{run_id}/export"),
        other.post(f"/api/v1/runs/{run_id}/cancel"),
    ):
        assert response.status_code == 404
    assert other.get("/api/v1/history").json()["runs"] == []


def test_dates_python_cannot_hold_come_back_as_text(client: Client) -> None:
    """PostgreSQL's and DuckDB's infinite dates, and years past 9999, are shown, not a 500."""
    sql = (
        "SELECT 'infinity'::DATE AS d, '-infinity'::TIMESTAMP AS ts, DATE '10000-01-01' AS far, "
        "DATE '2020-01-02' AS plain"
    )
    run = client.post("/api/v1/runs", json={"connection": "demo", "sql": sql})
    assert run.status_code == 200, run.text
    expected = [["infinity", "-infinity", "10000-01-01", "2020-01-02"]]
    assert run.json()["result"]["rows"] == expected
    page = client.get(f"/api/v1/runs/{run.json()['id']}/results")
    assert page.status_code == 200 and page.json()["rows"] == expected
    exported = client.get(f"/api/v1/runs/{run.json()['id']}/export", params={"format": "json"})
    assert exported.status_code == 200
    assert [list(r.values()) for r in json.loads(exported.text)] == expected
