"""Drill to detail through the API: the rows behind a mark of a dashboard's chart, as the
viewer, paged and exported, with the dashboard's filters and the mark's values applied (as
parameters: an attacker's quote stays a value)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from belvedere.auth.roles import Role
from tests.support.web.client import Client
from tests.web.test_api_charts import sql_rows

SALES = {"kind": "table", "schema": "main", "table": "sales"}
ATTACK = "' OR 1=1 --"


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
    """A dashboard with orders by channel (a bar) and orders by month (a line), filtered by
    order date and channel."""
    bars = _chart(
        client,
        "Orders by channel",
        {
            "type": "bar",
            "source": SALES,
            "dimensions": ["channel"],
            "metrics": [{"agg": "count", "label": "lines"}],
        },
    )
    months = _chart(
        client,
        "Orders by month",
        {
            "type": "line",
            "source": SALES,
            "time": {"column": "order_date", "grain": "month"},
            "metrics": [{"agg": "count", "label": "lines"}],
        },
    )
    board = client.post("/api/v1/dashboards", json={"title": "Shop"}).json()
    changed = client.patch(
        f"/api/v1/dashboards/{board['id']}",
        json={
            "layout": {"tiles": [_tile("a", bars), _tile("b", months, x=6)]},
            "filters": [
                {"column": "order_date", "kind": "date_range"},
                {"column": "channel", "kind": "values"},
            ],
        },
    )
    assert changed.status_code == 200, changed.text
    return {"id": board["id"], "bars": bars, "months": months}


def _rows(client: Client, board: dict[str, Any], chart: str, **body: Any) -> Any:
    return client.post(f"/api/v1/dashboards/{board['id']}/charts/{board[chart]}/rows", json=body)


def _let_viewers_drill(owner: Client, chart_id: int, on: bool = True) -> None:
    changed = owner.patch(f"/api/v1/charts/{chart_id}", json={"viewers_may_drill": on})
    assert changed.status_code == 200, changed.text
    assert changed.json()["viewers_may_drill"] is on


def _share(owner: Client, board: dict[str, Any], *users: str) -> None:
    shares = [{"user": u, "access": "viewer"} for u in users]
    shared = owner.put(f"/api/v1/dashboards/{board['id']}/shares", json={"shares": shares})
    assert shared.status_code == 200, shared.text


def _can_drill(client: Client, board: dict[str, Any], chart: str) -> bool:
    tile = client.post(
        f"/api/v1/dashboards/{board['id']}/charts/{board[chart]}/data", json={"filters": []}
    )
    assert tile.status_code == 200, tile.text
    return bool(tile.json()["can_drill"])


def _count(client: Client, where: str) -> int:
    return int(sql_rows(client, f"SELECT count(*) FROM sales WHERE {where}")[0][0])


def test_the_rows_behind_a_bar_under_the_dashboard_filters(
    client: Client, board: dict[str, Any]
) -> None:
    january = {"column": "order_date", "start": "2024-01-01", "end": "2024-01-31"}
    found = _rows(client, board, "bars", point={"channel": "web"}, filters=[january], limit=1000)
    assert found.status_code == 200, found.text
    body = found.json()
    expected = _count(
        client,
        "channel = 'web' AND order_date >= DATE '2024-01-01' AND order_date < DATE '2024-02-01'",
    )
    assert 0 < body["total_rows"] == expected < _count(client, "channel = 'web'")
    names = [c["name"] for c in body["columns"]]
    assert {"channel", "order_date", "order_id"} <= set(names)  # the source's, not aggregated
    channel = names.index("channel")
    assert {row[channel] for row in body["rows"]} == {"web"}
    assert body["sql"] and "$belvedere_drill_" in body["sql"]  # the owner is shown its SQL


def test_a_mark_on_the_time_axis_holds_its_whole_period(
    client: Client, board: dict[str, Any]
) -> None:
    found = _rows(client, board, "months", point={"order_date": "2024-03-01T00:00:00"})
    assert found.status_code == 200, found.text
    march = "order_date >= DATE '2024-03-01' AND order_date < DATE '2024-04-01'"
    assert found.json()["total_rows"] == _count(client, march) > 0
    as_vega_holds_it = _rows(client, board, "months", point={"order_date": 1709251200000})
    assert as_vega_holds_it.json()["total_rows"] == _count(client, march)
    nonsense = _rows(client, board, "months", point={"order_date": "soon"})
    assert nonsense.status_code == 422


def test_paging_next_and_previous(client: Client, board: dict[str, Any]) -> None:
    first = _rows(client, board, "bars", point={"channel": "web"}, limit=5).json()
    assert (len(first["rows"]), first["offset"], first["previous_offset"]) == (5, 0, None)
    assert first["next_offset"] == 5
    second = _rows(client, board, "bars", point={"channel": "web"}, offset=5, limit=5).json()
    assert (second["offset"], second["previous_offset"], second["next_offset"]) == (5, 0, 10)
    assert second["rows"] != first["rows"]
    last_offset = first["total_rows"] - 2
    last = _rows(client, board, "bars", point={"channel": "web"}, offset=last_offset, limit=5)
    assert len(last.json()["rows"]) == 2 and last.json()["next_offset"] is None
    assert _rows(client, board, "bars", limit=1001).status_code == 422
    assert _rows(client, board, "bars", offset=-1).status_code == 422


def test_bad_marks_are_refused_with_422(client: Client, board: dict[str, Any]) -> None:
    unknown = _rows(client, board, "bars", point={"salary": 1})
    assert unknown.status_code == 422
    assert "'salary' is not a column" in unknown.json()["error"]["message"]
    for point in ({"channel": ["web"]}, {"channel": {"a": 1}}, {"": "web"}):
        assert _rows(client, board, "bars", point=point).status_code == 422, point
    assert _rows(client, board, "bars", point="channel").status_code == 422
    malformed = client.post(
        f"/api/v1/dashboards/{board['id']}/charts/{board['bars']}/rows",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert malformed.status_code == 422


def test_attacker_values_stay_values(client: Client, board: dict[str, Any]) -> None:
    for point in ({"channel": ATTACK}, {"channel": "web' OR '1'='1"}):
        found = _rows(client, board, "bars", point=point)
        assert found.status_code == 200, found.text
        assert found.json()["total_rows"] == 0
    as_a_number = _rows(client, board, "bars", point={"order_id": ATTACK})
    assert as_a_number.status_code == 400  # the warehouse read it as a value: not a number
    assert "Could not convert string" in as_a_number.json()["error"]["message"]
    filtered = _rows(client, board, "bars", filters=[{"column": "channel", "values": [ATTACK]}])
    assert filtered.status_code == 200 and filtered.json()["total_rows"] == 0
    assert ATTACK not in (filtered.json()["sql"] or "")
    quoted_column = _rows(client, board, "bars", point={'channel" OR 1=1 --': "x"})
    assert quoted_column.status_code == 422


def test_only_a_dashboard_you_may_see_and_as_you(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    viewer = app_client().login(make_user("val", Role.VIEWER))
    assert _rows(viewer, board, "bars", point={"channel": "web"}).status_code == 404
    other = app_client().login(make_user("mallory", Role.EDITOR))
    own = other.post("/api/v1/dashboards", json={"title": "Mine"}).json()
    through_own = other.post(f"/api/v1/dashboards/{own['id']}/charts/{board['bars']}/rows", json={})
    assert through_own.status_code == 404
    client.put(
        f"/api/v1/dashboards/{board['id']}/shares",
        json={"shares": [{"user": "val", "access": "viewer"}]},
    )
    # demo runs as one shared account: seeing the dashboard is not enough, until the owner
    # lets viewers drill (see test_a_viewer_on_a_shared_account_may_not_drill).
    assert _rows(viewer, board, "bars").status_code == 403
    _let_viewers_drill(client, board["bars"])
    seen = _rows(viewer, board, "bars", point={"channel": "web"})
    assert seen.status_code == 200, seen.text
    capped = seen.json()  # the interactive row cap holds, as in SQL Lab
    assert capped["truncated"] and capped["total_rows"] < _count(client, "channel = 'web'")
    assert seen.json()["sql"] is None  # the owner does not show its SQL to viewers
    undeclared = _rows(viewer, board, "bars", filters=[{"column": "region", "values": ["x"]}])
    assert undeclared.status_code == 403
    # a cross-filter (a click on a bar of another tile) on a column a chart groups by holds
    # in the drill as in the tiles, declared or not
    only_dates = [{"column": "order_date", "kind": "date_range"}]
    client.patch(f"/api/v1/dashboards/{board['id']}", json={"filters": only_dates})
    crossed = _rows(viewer, board, "bars", filters=[{"column": "channel", "values": ["web"]}])
    assert crossed.status_code == 200, crossed.text
    assert crossed.json()["total_rows"] > 0
    audit = client.get("/api/v1/audit", params={"user": "val"})
    assert audit.status_code == 200, audit.text
    assert "drill" in {e.get("surface") for e in audit.json()["entries"]}
    history = viewer.get("/api/v1/history")
    assert history.status_code in (200, 403)  # a viewer does not run SQL


def test_export_is_the_same_rows_as_csv(client: Client, board: dict[str, Any]) -> None:
    january = {"column": "order_date", "start": "2024-01-01", "end": "2024-01-31"}
    body = {"point": {"channel": "web"}, "filters": [january]}
    page = _rows(client, board, "bars", **body, limit=1000).json()
    exported = client.post(
        f"/api/v1/dashboards/{board['id']}/charts/{board['bars']}/rows/export", json=body
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="Orders-by-channel-rows-' in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == [c["name"] for c in page["columns"]]
    assert len(rows) - 1 == page["total_rows"] and not page["truncated"]
    refused = client.post(
        f"/api/v1/dashboards/{board['id']}/charts/{board['bars']}/rows/export",
        json={"point": {"nope": 1}},
    )
    assert refused.status_code == 422


def test_a_chart_on_a_saved_query_drills_into_its_rows(client: Client) -> None:
    saved = client.post(
        "/api/v1/saved-queries",
        json={
            "connection": "demo",
            "name": "Web lines",
            "sql": "SELECT region, channel, order_id FROM sales WHERE channel LIKE 'w%'",
        },
    )
    assert saved.status_code == 201, saved.text
    pie = _chart(
        client,
        "Web by region",
        {
            "type": "pie",
            "source": {"kind": "saved_query", "saved_query_id": saved.json()["id"]},
            "dimensions": ["region"],
            "metrics": [{"agg": "count"}],
        },
    )
    board = client.post("/api/v1/dashboards", json={"title": "Web"}).json()
    client.patch(f"/api/v1/dashboards/{board['id']}", json={"layout": {"tiles": [_tile("p", pie)]}})
    region = sql_rows(client, "SELECT min(region) FROM sales")[0][0]
    found = _rows(client, {"id": board["id"], "pie": pie}, "pie", point={"region": region})
    assert found.status_code == 200, found.text
    body = found.json()
    assert [c["name"] for c in body["columns"]] == ["region", "channel", "order_id"]
    expected = min(_count(client, f"channel LIKE 'w%' AND region = '{region}'"), 100_000)
    assert body["total_rows"] == expected > 0


def test_a_viewer_on_a_shared_account_may_not_drill(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    """demo queries as one account, whoever asks: a viewer of the dashboard would read every
    row and column of the source through it, more than the chart's aggregates showed them."""
    _share(client, board, make_user("vic", Role.VIEWER))
    viewer = app_client().login("vic")
    assert viewer.post(
        f"/api/v1/dashboards/{board['id']}/charts/{board['bars']}/data", json={"filters": []}
    ).json()["rows"]  # the chart itself they see
    assert _can_drill(viewer, board, "bars") is False
    for path in ("rows", "rows/export"):
        refused = viewer.post(
            f"/api/v1/dashboards/{board['id']}/charts/{board['bars']}/{path}",
            json={"point": {"channel": "web"}},
        )
        assert refused.status_code == 403, refused.text
        error = refused.json()["error"]
        assert error["code"] == "drill_not_allowed"
        assert "Orders by channel" in error["message"] and "shared" in error["message"]
        assert "order_id" not in refused.text
    audit = client.get("/api/v1/audit", params={"user": "vic"}).json()["entries"]
    assert "drill" not in {e.get("surface") for e in audit}  # nothing ran
    # Turned on for one chart, not for the other.
    _let_viewers_drill(client, board["bars"])
    assert _can_drill(viewer, board, "bars") is True
    assert _rows(viewer, board, "bars", point={"channel": "web"}).status_code == 200
    assert _can_drill(viewer, board, "months") is False
    assert _rows(viewer, board, "months").status_code == 403
    # And off again.
    _let_viewers_drill(client, board["bars"], on=False)
    assert _rows(viewer, board, "bars").status_code == 403
    # A chart not on the dashboard stays unseen (404), not merely refused.
    other = _chart(client, "Elsewhere", {"type": "table", "source": SALES})
    assert _rows(viewer, {**board, "x": other}, "x").status_code == 404


def test_the_owner_may_drill_whatever_their_role(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    """(a) The chart's owner: here one who built it as an editor and is now a viewer."""
    owner = app_client().login(make_user("olga", Role.EDITOR))
    bars = _chart(
        owner,
        "Her channels",
        {"type": "bar", "source": SALES, "dimensions": ["channel"], "metrics": [{"agg": "count"}]},
    )
    made = owner.post("/api/v1/dashboards", json={"title": "Hers"}).json()
    tiles = {"layout": {"tiles": [_tile("a", bars)]}}
    assert owner.patch(f"/api/v1/dashboards/{made['id']}", json=tiles).status_code == 200
    olga = next(u for u in client.get("/api/v1/users").json() if u["username"] == "olga")
    demoted = client.patch(f"/api/v1/users/{olga['id']}", json={"role": "viewer"})
    assert demoted.status_code == 200, demoted.text
    owner = app_client().login("olga")
    board = {"id": made["id"], "bars": bars}
    assert _can_drill(owner, board, "bars") is True
    found = _rows(owner, board, "bars", point={"channel": "web"})
    assert found.status_code == 200, found.text
    assert found.json()["total_rows"] > 0


def test_those_who_may_run_sql_may_drill(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    """(c) An editor shown the dashboard as a viewer could write the SELECT in SQL Lab."""
    _share(client, board, make_user("eddie", Role.EDITOR))
    editor = app_client().login("eddie")
    assert _can_drill(editor, board, "bars") is True
    found = _rows(editor, board, "bars", point={"channel": "web"})
    assert found.status_code == 200, found.text
    assert found.json()["sql"] is None  # drilling does not show them the chart's SQL
    exported = editor.post(
        f"/api/v1/dashboards/{board['id']}/charts/{board['bars']}/rows/export",
        json={"point": {"channel": "web"}},
    )
    assert exported.status_code == 200, exported.text


def test_the_setting_is_the_owners_and_off_by_default(
    client: Client, board: dict[str, Any]
) -> None:
    chart = client.get(f"/api/v1/charts/{board['bars']}").json()
    assert chart["viewers_may_drill"] is False
    made = client.post(
        "/api/v1/charts",
        json={
            "name": "Open rows",
            "connection": "demo",
            "spec": {"type": "table", "source": SALES},
            "viewers_may_drill": True,
        },
    )
    assert made.status_code == 201 and made.json()["viewers_may_drill"] is True
    kept = client.patch(f"/api/v1/charts/{made.json()['id']}", json={"name": "Renamed"})
    assert kept.json()["viewers_may_drill"] is True
    nulled = client.patch(f"/api/v1/charts/{board['bars']}", json={"viewers_may_drill": None})
    assert nulled.status_code == 422
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "every column" in schema["ChartIn"]["properties"]["viewers_may_drill"]["description"]
