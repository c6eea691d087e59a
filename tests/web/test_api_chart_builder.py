"""The chart builder's API edges: a sum or average of a column without numbers is refused
with a 422 naming the column (not the warehouse's binder error), and View SQL is laid out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.web.client import Client

SALES = {"kind": "table", "schema": "main", "table": "sales"}


def _bar(agg: str, column: str) -> dict[str, Any]:
    return {
        "type": "bar",
        "source": SALES,
        "dimensions": ["channel"],
        "metrics": [{"agg": agg, "column": column}],
    }


@pytest.mark.parametrize(
    ("agg", "column", "family"), [("sum", "region", "text"), ("avg", "order_date", "temporal")]
)
def test_a_sum_of_text_is_refused_naming_the_column(
    client: Client, agg: str, column: str, family: str
) -> None:
    spec = _bar(agg, column)
    explored = client.post("/api/v1/charts/explore", json={"connection": "demo", "spec": spec})
    assert explored.status_code == 422, explored.text
    error = explored.json()["error"]
    assert error["code"] == "metric_not_numeric"
    assert f"'{column}'" in error["message"] and family in error["message"]
    assert "Binder" not in error["message"]

    saved = client.post(
        "/api/v1/charts", json={"name": "Nonsense", "connection": "demo", "spec": spec}
    )
    assert saved.status_code == 422, saved.text
    assert saved.json()["error"]["code"] == "metric_not_numeric"


def test_sums_of_numbers_and_counts_of_text_still_run(client: Client) -> None:
    for spec in (
        _bar("sum", "line_total"),
        _bar("count_distinct", "region"),
        _bar("max", "region"),
    ):
        response = client.post("/api/v1/charts/explore", json={"connection": "demo", "spec": spec})
        assert response.status_code == 200, response.text


def test_a_saved_chart_cannot_be_changed_into_a_sum_of_text(client: Client) -> None:
    body = {"name": "Revenue", "connection": "demo", "spec": _bar("sum", "line_total")}
    chart = client.post("/api/v1/charts", json=body)
    assert chart.status_code == 201, chart.text
    changed = client.patch(
        f"/api/v1/charts/{chart.json()['id']}", json={"spec": _bar("sum", "channel")}
    )
    assert changed.status_code == 422, changed.text
    again = client.get(f"/api/v1/charts/{chart.json()['id']}").json()
    assert again["spec"]["metrics"][0]["column"] == "line_total"


def test_view_sql_is_laid_out_on_lines(client: Client) -> None:
    spec = {
        **_bar("sum", "line_total"),
        "filters": [{"column": "region", "op": "eq", "value": "x"}],
    }
    shown = client.post("/api/v1/charts/sql", json={"connection": "demo", "spec": spec}).json()
    lines = shown["sql"].splitlines()
    assert lines[0] == "SELECT" and 'FROM "main"."sales"' in lines
    assert "WHERE" in lines and "GROUP BY" in lines
    assert "  \"region\" = 'x'" in lines


def test_thumbnails_come_from_your_own_stored_result_and_run_nothing(client: Client) -> None:
    body = {"name": "Revenue by channel", "connection": "demo", "spec": _bar("sum", "line_total")}
    chart = client.post("/api/v1/charts", json=body).json()
    key = str(chart["id"])
    assert key not in client.get("/api/v1/charts/thumbnails").json()["thumbnails"]  # never drawn

    data = client.get(f"/api/v1/charts/{chart['id']}/data").json()
    runs = len(client.get("/api/v1/history").json()["runs"])
    shown = client.get("/api/v1/charts/thumbnails").json()["thumbnails"]
    assert shown[key] == pytest.approx([row[1] for row in data["rows"]])
    assert len(client.get("/api/v1/history").json()["runs"]) == runs  # nothing was run

    client.patch(f"/api/v1/charts/{chart['id']}", json={"spec": _bar("max", "line_total")})
    assert key not in client.get("/api/v1/charts/thumbnails").json()["thumbnails"]  # stale
