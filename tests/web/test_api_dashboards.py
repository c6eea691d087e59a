"""Dashboards through the API: tiles, filters applied where the column exists, per-chart data
as the viewer, sharing, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from belvedere.auth.roles import Role
from belvedere.dashboards.layout import GRID_COLUMNS
from tests.support.web.client import Client
from tests.web.test_api_charts import sql_rows
from tests.web.test_pages import page_data

SALES = {"kind": "table", "schema": "main", "table": "sales"}
REGIONS = {"kind": "table", "schema": "main", "table": "regions"}


def _chart(client: Client, name: str, spec: dict[str, Any]) -> int:
    response = client.post(
        "/api/v1/charts", json={"name": name, "connection": "demo", "spec": spec}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _tile(tile_id: str, chart_id: int, x: int = 0) -> dict[str, Any]:
    return {"id": tile_id, "kind": "chart", "chart_id": chart_id, "x": x, "y": 0, "w": 6, "h": 4}


@pytest.fixture
def board(client: Client) -> dict[str, Any]:
    """A dashboard with a sales chart (has order_date), a regions chart (has not), markdown."""
    sales = _chart(
        client,
        "Orders by channel",
        {
            "type": "bar",
            "source": SALES,
            "dimensions": ["channel"],
            "metrics": [{"agg": "count_distinct", "column": "order_id", "label": "orders"}],
        },
    )
    regions = _chart(
        client,
        "Countries",
        {"type": "pie", "source": REGIONS, "dimensions": ["region"], "metrics": [{"agg": "count"}]},
    )
    created = client.post("/api/v1/dashboards", json={"title": "Shop"})
    assert created.status_code == 201
    board = created.json()
    layout = {
        "tiles": [
            _tile("a", sales),
            _tile("b", regions, x=6),
            {"id": "m", "kind": "markdown", "markdown": "# Notes", "x": 0, "y": 4, "w": 12, "h": 2},
        ]
    }
    filters = [
        {"column": "order_date", "kind": "date_range", "label": "Ordered"},
        {"column": "channel", "kind": "values", "label": "Channel"},
    ]
    changed = client.patch(
        f"/api/v1/dashboards/{board['id']}",
        json={"layout": layout, "filters": filters, "refresh_seconds": 60},
    )
    assert changed.status_code == 200, changed.text
    return {"id": board["id"], "sales": sales, "regions": regions}


def _data(client: Client, board: dict[str, Any], chart: str, **body: Any) -> Any:
    return client.post(f"/api/v1/dashboards/{board['id']}/charts/{board[chart]}/data", json=body)


def test_dashboard_holds_its_tiles_and_filters(client: Client, board: dict[str, Any]) -> None:
    body = client.get(f"/api/v1/dashboards/{board['id']}").json()
    assert [t["id"] for t in body["layout"]["tiles"]] == ["a", "b", "m"]
    assert body["charts"][str(board["sales"])]["type"] == "bar"
    assert (body["access"], body["refresh_seconds"]) == ("owner", 60)
    assert [f["column"] for f in body["filters"]] == ["order_date", "channel"]


def test_a_date_filter_applies_only_where_the_column_exists(
    client: Client, board: dict[str, Any]
) -> None:
    everything = {r[0]: r[1] for r in _data(client, board, "sales").json()["rows"]}
    window = {"column": "order_date", "start": "2024-01-01", "end": "2024-01-31"}
    january = _data(client, board, "sales", filters=[window])
    assert january.status_code == 200, january.text
    got = {r[0]: r[1] for r in january.json()["rows"]}
    expected = dict(
        sql_rows(
            client,
            "SELECT channel, count(DISTINCT order_id) FROM sales "
            "WHERE order_date BETWEEN DATE '2024-01-01' AND DATE '2024-01-31' GROUP BY 1",
        )
    )
    assert got == expected and got != everything
    regions = _data(client, board, "regions", filters=[window])
    assert regions.status_code == 200 and len(regions.json()["rows"]) == 4


def test_filter_values_and_value_filters(client: Client, board: dict[str, Any]) -> None:
    values = client.get(
        f"/api/v1/dashboards/{board['id']}/filter-values", params={"column": "channel"}
    ).json()["values"]
    assert values == sorted(values) and len(values) >= 2
    only = _data(client, board, "sales", filters=[{"column": "channel", "values": values[:1]}])
    assert [r[0] for r in only.json()["rows"]] == values[:1]
    unknown = client.get(
        f"/api/v1/dashboards/{board['id']}/filter-values", params={"column": "nope"}
    )
    assert unknown.status_code == 400


def test_force_refresh_runs_again_and_the_cache_serves_otherwise(
    client: Client, board: dict[str, Any]
) -> None:
    first = _data(client, board, "sales").json()
    cached = _data(client, board, "sales").json()
    forced = _data(client, board, "sales", force=True).json()
    assert (cached["cached"], forced["cached"]) == (True, False)
    assert cached["rows"] == first["rows"] == forced["rows"]
    surfaces = [r["surface"] for r in client.get("/api/v1/history").json()["runs"]]
    assert surfaces.count("dashboard") >= 2


def test_sharing_with_a_viewer(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    viewer = app_client().login(make_user("val", Role.VIEWER))
    assert viewer.get(f"/api/v1/dashboards/{board['id']}").status_code == 404
    assert _data(viewer, board, "sales").status_code == 404
    shared = client.put(
        f"/api/v1/dashboards/{board['id']}/shares",
        json={"shares": [{"user": "val", "access": "viewer"}]},
    )
    assert shared.json()["shares"] == [{"user": "val", "role": None, "access": "viewer"}]
    assert [d["access"] for d in viewer.get("/api/v1/dashboards").json()["dashboards"]] == [
        "viewer"
    ]
    seen = viewer.get(f"/api/v1/dashboards/{board['id']}").json()
    assert (seen["access"], seen["shares"]) == ("viewer", [])
    data = _data(viewer, board, "sales")
    assert data.status_code == 200 and data.json()["rows"]
    refused = viewer.patch(f"/api/v1/dashboards/{board['id']}", json={"title": "mine"})
    assert refused.status_code == 403
    assert viewer.delete(f"/api/v1/dashboards/{board['id']}").status_code in (403,)
    client.put(
        f"/api/v1/dashboards/{board['id']}/shares",
        json={"shares": [{"role": "viewer", "access": "editor"}]},
    )
    renamed = viewer.patch(f"/api/v1/dashboards/{board['id']}", json={"title": "Shop 2"})
    assert renamed.status_code == 200 and renamed.json()["access"] == "editor"


def test_a_layout_that_does_not_parse_changes_nothing(
    client: Client, board: dict[str, Any]
) -> None:
    before = client.get(f"/api/v1/dashboards/{board['id']}").json()
    for layout in (
        "not a layout",
        {"tiles": [{"id": "a", "kind": "chart", "x": 0, "y": 0, "w": 6, "h": 4}]},
        {"tiles": [{"id": "a", "kind": "video", "x": 0, "y": 0, "w": 6, "h": 4}]},
        {"tiles": [_tile("a", board["sales"], x=10)]},
        {"tiles": [_tile("a", board["sales"]), _tile("a", board["regions"], x=6)]},
        {"tiles": [{**_tile("a", board["sales"]), "script": "alert(1)"}]},
    ):
        response = client.patch(f"/api/v1/dashboards/{board['id']}", json={"layout": layout})
        assert response.status_code == 422, (layout, response.text)
        assert response.json()["error"]["message"]
    assert client.get(f"/api/v1/dashboards/{board['id']}").json() == before


def test_another_users_chart_cannot_be_reached_by_id(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    other = app_client().login(make_user("mallory", Role.EDITOR))
    own = other.post("/api/v1/dashboards", json={"title": "Mine"}).json()
    stolen = other.patch(
        f"/api/v1/dashboards/{own['id']}",
        json={"layout": {"tiles": [_tile("x", board["sales"])]}},
    )
    assert stolen.status_code == 404 and "chart" in stolen.json()["error"]["message"]
    through_own = other.post(
        f"/api/v1/dashboards/{own['id']}/charts/{board['sales']}/data", json={}
    )
    assert through_own.status_code == 404
    assert _data(other, board, "sales").status_code == 404
    assert other.get(f"/api/v1/dashboards/{own['id']}").json()["layout"]["tiles"] == []


def test_the_dashboard_page_sends_the_grid_width(client: Client, board: dict[str, Any]) -> None:
    page = client.get(f"/dashboards/{board['id']}", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page_data(page.text)["page"]["gridColumns"] == GRID_COLUMNS


def test_a_reversed_date_range_is_refused_with_a_clear_422(
    client: Client, board: dict[str, Any]
) -> None:
    for reversed_range in (
        {"column": "order_date", "start": "2024-03-31", "end": "2024-01-01"},
        {"column": "order_date", "start": "2024-01-02T00:00:00Z", "end": "2024-01-01"},
    ):
        for path in ("charts/{sales}/data", "estimate"):
            url = f"/api/v1/dashboards/{board['id']}/" + path.format(**board)
            refused = client.post(url, json={"filters": [reversed_range], "wait_ms": 30000})
            assert refused.status_code == 422, refused.text
            message = refused.json()["error"]["message"]
            assert "starts" in message and "after it ends" in message, message
    same_day = {"column": "order_date", "start": "2024-01-01", "end": "2024-01-01"}
    assert _data(client, board, "sales", filters=[same_day]).status_code == 200


def test_a_viewer_cross_filters_on_a_column_a_chart_groups_by(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    """A click on a mark of the regions chart filters the other tiles by region: a viewer may
    do that (the chart shows them the regions), but not filter on a column no chart shows."""
    viewer = app_client().login(make_user("vic", Role.VIEWER))
    shared = client.put(
        f"/api/v1/dashboards/{board['id']}/shares",
        json={"shares": [{"user": "vic", "access": "viewer"}]},
    )
    assert shared.status_code == 200, shared.text
    everything = _data(viewer, board, "sales").json()["rows"]
    europe = [{"column": "region", "values": ["Europe"]}]
    narrowed = _data(viewer, board, "sales", filters=europe)
    assert narrowed.status_code == 200, narrowed.text
    expected = dict(
        sql_rows(
            client,
            "SELECT channel, count(DISTINCT order_id) FROM sales WHERE region = 'Europe' "
            "GROUP BY 1",
        )
    )
    assert {r[0]: r[1] for r in narrowed.json()["rows"]} == expected
    assert narrowed.json()["rows"] != everything
    for probe in (
        [{"column": "country", "values": ["France"]}],  # no chart groups by country
        [{"column": "region", "start": "2024-01-01"}],  # a range is not a cross-filter
    ):
        refused = _data(viewer, board, "sales", filters=probe)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "filter_not_declared"
