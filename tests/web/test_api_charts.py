"""Charts through the API on the demo warehouse: explore, view SQL, cache and force refresh,
save, data, export, and bad input (each a clear 4xx, nothing saved lost)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from belvedere.auth.roles import Role
from tests.support.web.client import Client

SALES = {"kind": "table", "schema": "main", "table": "sales"}
BAR: dict[str, Any] = {
    "type": "bar",
    "source": SALES,
    "dimensions": ["region"],
    "metrics": [{"agg": "sum", "column": "line_total", "label": "revenue"}],
    "filters": [{"column": "channel", "op": "eq", "value": "web"}],
}


def _explore(client: Client, spec: dict[str, Any], **extra: Any) -> Any:
    return client.post("/api/v1/charts/explore", json={"connection": "demo", "spec": spec, **extra})


def sql_rows(client: Client, sql: str) -> list[list[Any]]:
    """Rows of a query on the demo, through SQL Lab's API (the check, not the chart)."""
    response = client.post("/api/v1/runs", json={"connection": "demo", "sql": sql})
    assert response.status_code == 200, response.text
    return response.json()["result"]["rows"]  # type: ignore[no-any-return]


def _expected_revenue(client: Client) -> dict[str, float]:
    rows = sql_rows(
        client, "SELECT region, sum(line_total) FROM sales WHERE channel = 'web' GROUP BY 1"
    )
    return {region: float(total) for region, total in rows}


def test_explore_draws_the_warehouse_numbers_and_caches_them(client: Client) -> None:
    first = _explore(client, BAR)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [c["name"] for c in body["columns"]] == ["region", "revenue"]
    got = {region: revenue for region, revenue in body["rows"]}
    expected = _expected_revenue(client)
    assert got.keys() == expected.keys()
    assert all(abs(got[k] - expected[k]) < 0.01 for k in expected)
    assert [r[1] for r in body["rows"]] == sorted((r[1] for r in body["rows"]), reverse=True)
    assert body["vega_lite"]["mark"] and body["cached"] is False
    assert '"line_total"' in body["sql"] and "'web'" in body["sql"]

    again = _explore(client, BAR).json()
    assert (again["cached"], again["rows"]) == (True, body["rows"])
    forced = _explore(client, BAR, force=True).json()
    assert (forced["cached"], forced["rows"]) == (False, body["rows"])
    assert forced["ran_at"] > body["ran_at"]


def test_every_surface_is_a_run_in_history(client: Client) -> None:
    _explore(client, {**BAR, "limit": 7})
    runs = client.get("/api/v1/history").json()["runs"]
    assert runs[0]["surface"] == "chart" and "LIMIT 7" in runs[0]["sql"]


def test_view_sql_is_in_the_connection_dialect(client: Client) -> None:
    spec = {**BAR, "time": {"column": "ordered_at", "grain": "month"}}
    shown = client.post("/api/v1/charts/sql", json={"connection": "demo", "spec": spec}).json()
    assert shown["dialect"] == "duckdb"
    assert "DATE_TRUNC('MONTH'" in shown["sql"].upper().replace('"', "'") or "DATE_TRUNC" in (
        shown["sql"].upper()
    )
    assert "GROUP BY" in shown["sql"]


def test_columns_of_a_table_and_of_a_saved_query(client: Client) -> None:
    columns = client.post(
        "/api/v1/charts/columns", json={"connection": "demo", "source": SALES}
    ).json()["columns"]
    assert {"order_date", "region", "line_total"} <= {c["name"] for c in columns}
    saved = client.post(
        "/api/v1/saved-queries",
        json={"connection": "demo", "name": "q", "sql": "SELECT region, 1 AS one FROM regions"},
    ).json()
    source = {"kind": "saved_query", "saved_query_id": saved["id"]}
    columns = client.post(
        "/api/v1/charts/columns", json={"connection": "demo", "source": source}
    ).json()["columns"]
    assert [c["name"] for c in columns] == ["region", "one"]


def test_save_read_export_delete(client: Client) -> None:
    created = client.post(
        "/api/v1/charts", json={"name": "Web revenue", "connection": "demo", "spec": BAR}
    )
    assert created.status_code == 201, created.text
    chart = created.json()
    assert client.get("/api/v1/charts").json()["charts"][0]["name"] == "Web revenue"
    data = client.get(f"/api/v1/charts/{chart['id']}/data").json()
    assert len(data["rows"]) == 4

    png = client.get(f"/api/v1/charts/{chart['id']}/export", params={"format": "png"})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.headers["content-disposition"].endswith('Web-revenue.png"')
    svg = client.get(f"/api/v1/charts/{chart['id']}/export", params={"format": "svg"})
    assert svg.status_code == 200 and "<svg" in svg.text and "North America" in svg.text
    csv = client.get(f"/api/v1/charts/{chart['id']}/export", params={"format": "csv"})
    lines = csv.text.strip().splitlines()
    assert lines[0] == '"region","revenue"' and len(lines) == 5

    renamed = client.patch(f"/api/v1/charts/{chart['id']}", json={"name": "Renamed"}).json()
    assert (renamed["name"], renamed["spec"]["type"]) == ("Renamed", "bar")
    assert client.delete(f"/api/v1/charts/{chart['id']}").status_code == 204
    assert client.get(f"/api/v1/charts/{chart['id']}").status_code == 404


def test_a_table_chart_exports_as_csv_not_as_an_image(client: Client) -> None:
    spec = {"type": "table", "source": SALES, "limit": 5}
    chart = client.post(
        "/api/v1/charts", json={"name": "raw", "connection": "demo", "spec": spec}
    ).json()
    data = client.get(f"/api/v1/charts/{chart['id']}/data").json()
    assert (len(data["rows"]), data["vega_lite"]) == (5, None)
    png = client.get(f"/api/v1/charts/{chart['id']}/export", params={"format": "png"})
    assert png.status_code == 400 and "CSV" in png.json()["error"]["message"]


# -- bad input ---------------------------------------------------------------------------------


def test_a_filter_value_crafted_as_sql_stays_a_value(client: Client) -> None:
    for value in ("web' OR '1'='1", "web'; DROP TABLE orders; --", "1); DELETE FROM sales; --"):
        spec = {**BAR, "filters": [{"column": "channel", "op": "eq", "value": value}]}
        response = _explore(client, spec)
        assert response.status_code == 200, response.text
        assert response.json()["rows"] == []
    in_list = {**BAR, "filters": [{"column": "channel", "op": "in", "value": ["x') OR (1=1"]}]}
    assert _explore(client, in_list).json()["rows"] == []
    assert sql_rows(client, "SELECT count(*) > 0 FROM orders") == [[True]]


def test_a_chart_on_a_column_that_no_longer_exists(client: Client) -> None:
    saved = client.post(
        "/api/v1/saved-queries",
        json={"connection": "demo", "name": "q", "sql": "SELECT region, channel FROM sales"},
    ).json()
    spec = {
        "type": "pie",
        "source": {"kind": "saved_query", "saved_query_id": saved["id"]},
        "dimensions": ["channel"],
        "metrics": [{"agg": "count"}],
    }
    chart = client.post(
        "/api/v1/charts", json={"name": "by channel", "connection": "demo", "spec": spec}
    ).json()
    assert client.get(f"/api/v1/charts/{chart['id']}/data").status_code == 200
    client.patch(f"/api/v1/saved-queries/{saved['id']}", json={"sql": "SELECT region FROM sales"})
    broken = client.get(f"/api/v1/charts/{chart['id']}/data", params={"force": True})
    assert broken.status_code == 400, broken.text
    assert "channel" in broken.json()["error"]["message"]
    assert "Traceback" not in broken.text
    assert client.get(f"/api/v1/charts/{chart['id']}").json()["spec"] == chart["spec"]


def test_unknown_chart_type_and_malformed_specs_are_refused(client: Client) -> None:
    cases = [
        {**BAR, "type": "radar"},
        {**BAR, "metrics": [{"agg": "median", "column": "line_total"}]},
        {**BAR, "metrics": [{"agg": "sum"}]},
        {**BAR, "filters": [{"column": "channel", "op": "in", "value": "web"}]},
        {**BAR, "time": {"column": "ordered_at", "grain": "fortnight"}},
        {**BAR, "limit": 0},
    ]
    for spec in cases:
        response = _explore(client, spec)
        assert response.status_code == 422, (spec, response.text)
        assert response.json()["error"]["message"]
    custom = {**BAR, "metrics": [{"agg": "custom", "sql": "(SELECT max(x) FROM secrets)"}]}
    refused = _explore(client, custom)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_chart"
    unknown = _explore(client, {**BAR, "dimensions": ["no_such_column"]})
    assert unknown.status_code == 400 and "no_such_column" in unknown.json()["error"]["message"]
    missing = client.post("/api/v1/charts/explore", json={"connection": "nope", "spec": BAR})
    assert missing.status_code == 404


def test_charts_are_their_owners(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    chart = client.post(
        "/api/v1/charts", json={"name": "mine", "connection": "demo", "spec": BAR}
    ).json()
    other = app_client().login(make_user("otto", Role.EDITOR))
    assert other.get("/api/v1/charts").json()["charts"] == []
    for response in (
        other.get(f"/api/v1/charts/{chart['id']}"),
        other.get(f"/api/v1/charts/{chart['id']}/data"),
        other.get(f"/api/v1/charts/{chart['id']}/export"),
        other.patch(f"/api/v1/charts/{chart['id']}", json={"name": "stolen"}),
        other.delete(f"/api/v1/charts/{chart['id']}"),
    ):
        assert response.status_code == 404
    assert client.get(f"/api/v1/charts/{chart['id']}").json()["name"] == "mine"
    viewer = app_client().login(make_user("vera", Role.VIEWER))
    assert _explore(viewer, BAR).status_code == 403


def test_raw_rows_sort_by_any_column(client: Client) -> None:
    spec = {"type": "table", "source": SALES, "sort": [{"by": "line_total", "desc": True}]}
    body = _explore(client, {**spec, "limit": 3}).json()
    totals = [row[[c["name"] for c in body["columns"]].index("line_total")] for row in body["rows"]]
    top = sql_rows(client, "SELECT line_total FROM sales ORDER BY line_total DESC LIMIT 3")
    assert totals == [float(r[0]) for r in top]


def test_a_date_range_typed_in_the_builder_takes_in_its_last_day(client: Client) -> None:
    january = {"column": "ordered_at", "op": "between", "value": ["2024-01-01", "2024-01-31"]}
    spec = {"type": "big_number", "source": SALES, "metrics": [{"agg": "count"}]}
    typed = _explore(client, {**spec, "filters": [{**january, "value_type": "date"}]})
    assert typed.status_code == 200, typed.text
    whole = sql_rows(
        client,
        "SELECT count(*) FROM sales "
        "WHERE ordered_at >= DATE '2024-01-01' AND ordered_at < DATE '2024-02-01'",
    )
    assert typed.json()["rows"] == whole
    as_text = _explore(client, {**spec, "filters": [january]}).json()["rows"]
    assert as_text[0][0] < whole[0][0]  # text compares up to 2024-01-31 00:00 only
    bad = _explore(
        client,
        {**spec, "filters": [{**january, "value": ["1/1/2024", None], "value_type": "date"}]},
    )
    assert bad.status_code == 422 and "2024-01-31" in bad.json()["error"]["message"]
