"""Export and import of a dashboard with its charts as one JSON document: a round trip draws
the same, ids are remapped, nothing of the source's owner or sharing carries over, and bad
documents are refused with clear 4xx answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from belvedere.auth.roles import Role
from tests.support.web.client import Client

SALES = {"kind": "table", "schema": "main", "table": "sales"}


def _chart(client: Client, name: str, spec: dict[str, Any], **extra: Any) -> int:
    response = client.post(
        "/api/v1/charts", json={"name": name, "connection": "demo", "spec": spec, **extra}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def board(client: Client, make_user: Callable[[str, Role], str]) -> dict[str, Any]:
    """The admin's dashboard: a bar chart on a table, a pie on a saved query, markdown, two
    filters; shared with a viewer."""
    saved = client.post(
        "/api/v1/saved-queries",
        json={
            "connection": "demo",
            "name": "Web lines",
            "sql": "SELECT channel, region, line_total FROM sales WHERE channel LIKE 'w%'",
        },
    )
    assert saved.status_code == 201, saved.text
    bars = _chart(
        client,
        "Lines by channel",
        {"type": "bar", "source": SALES, "dimensions": ["channel"], "metrics": [{"agg": "count"}]},
        show_sql_to_viewers=True,
        viewers_may_drill=True,
        cache_ttl_seconds=60,
    )
    pie = _chart(
        client,
        "Web by region",
        {
            "type": "pie",
            "source": {"kind": "saved_query", "saved_query_id": saved.json()["id"]},
            "dimensions": ["region"],
            "metrics": [{"agg": "sum", "column": "line_total", "label": "total"}],
        },
    )
    created = client.post("/api/v1/dashboards", json={"title": "Shop floor"}).json()
    tiles = [
        {"id": "a", "kind": "chart", "chart_id": bars, "x": 0, "y": 0, "w": 6, "h": 4},
        {"id": "b", "kind": "chart", "chart_id": pie, "x": 6, "y": 0, "w": 6, "h": 4},
        {"id": "m", "kind": "markdown", "markdown": "# Notes", "x": 0, "y": 4, "w": 12, "h": 2},
    ]
    filters = [
        {"column": "region", "kind": "values", "label": "Region"},
        {"column": "order_date", "kind": "date_range", "label": "Ordered"},
    ]
    changed = client.patch(
        f"/api/v1/dashboards/{created['id']}",
        json={"layout": {"tiles": tiles}, "filters": filters, "refresh_seconds": 300},
    )
    assert changed.status_code == 200, changed.text
    make_user("val", Role.VIEWER)
    shared = client.put(
        f"/api/v1/dashboards/{created['id']}/shares",
        json={"shares": [{"user": "val", "access": "viewer"}]},
    )
    assert shared.status_code == 200, shared.text
    return {"id": created["id"], "bars": bars, "pie": pie, "saved": saved.json()["id"]}


def _export(client: Client, board_id: int) -> Any:
    return client.get(f"/api/v1/dashboards/{board_id}/export")


def _data(client: Client, board_id: int, chart_id: int) -> Any:
    response = client.post(f"/api/v1/dashboards/{board_id}/charts/{chart_id}/data", json={})
    assert response.status_code == 200, response.text
    return sorted(map(tuple, response.json()["rows"]))


def test_a_round_trip_gives_a_new_dashboard_that_draws_the_same(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    exported = _export(client, board["id"])
    assert exported.status_code == 200, exported.text
    assert 'filename="Shop-floor-' in exported.headers["content-disposition"]
    document = exported.json()
    assert (document["kind"], document["version"]) == ("belvedere.dashboard", 1)
    text = exported.text
    for leaked in ("owner", "shares", '"val"', '"admin"', "refresh", "show_sql", "user"):
        assert leaked not in text, leaked
    assert [c["connection"] for c in document["charts"]] == ["demo", "demo"]
    assert document["saved_queries"][0]["sql"].startswith("SELECT channel, region")

    importer = app_client().login(make_user("ines", Role.EDITOR))
    imported = importer.post("/api/v1/dashboards/import", json=document)
    assert imported.status_code == 201, imported.text
    new = imported.json()
    assert new["id"] != board["id"]
    assert (new["title"], new["owner"], new["access"], new["shares"]) == (
        "Shop floor",
        "ines",
        "owner",
        [],
    )
    assert new["refresh_seconds"] is None
    assert [f["column"] for f in new["filters"]] == ["region", "order_date"]
    tiles = {t["id"]: t for t in new["layout"]["tiles"]}
    assert tiles["m"]["markdown"] == "# Notes"
    new_bars, new_pie = tiles["a"]["chart_id"], tiles["b"]["chart_id"]
    assert {new_bars, new_pie}.isdisjoint({board["bars"], board["pie"]})
    assert _data(importer, new["id"], new_bars) == _data(client, board["id"], board["bars"])
    assert _data(importer, new["id"], new_pie) == _data(client, board["id"], board["pie"])

    mine = {c["id"]: c for c in importer.get("/api/v1/charts").json()["charts"]}
    assert set(mine) == {new_bars, new_pie}
    assert not any(c["show_sql_to_viewers"] for c in mine.values())
    assert not any(c["viewers_may_drill"] for c in mine.values())  # nothing shared by accident
    assert mine[new_bars]["cache_ttl_seconds"] == 60
    queries = importer.get("/api/v1/saved-queries").json()
    queries = queries if isinstance(queries, list) else queries["saved_queries"]
    own = [q for q in queries if q["mine"]]
    assert [(q["name"], q["shared"]) for q in own] == [("Web lines", False)]
    assert own[0]["id"] != board["saved"]
    viewer = app_client().login("val")
    assert viewer.get(f"/api/v1/dashboards/{new['id']}").status_code == 404  # not shared


def test_a_connection_the_importer_cannot_use_is_refused(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    document = _export(client, board["id"]).json()
    document["charts"][1]["connection"] = "warehouse-elsewhere"
    document["saved_queries"][0]["connection"] = "warehouse-elsewhere"
    importer = app_client().login(make_user("ines", Role.EDITOR))
    refused = importer.post("/api/v1/dashboards/import", json=document)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "connections_unusable"
    assert error["connections"] == ["warehouse-elsewhere"]
    assert "'warehouse-elsewhere'" in error["message"]
    assert importer.get("/api/v1/dashboards").json()["dashboards"] == []
    assert importer.get("/api/v1/charts").json()["charts"] == []


def test_a_failure_half_way_leaves_nothing_behind(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    document = _export(client, board["id"]).json()
    document["charts"][1]["spec"]["source"] = {"kind": "table", "table": "no_such_table"}
    importer = app_client().login(make_user("ines", Role.EDITOR))
    failed = importer.post("/api/v1/dashboards/import", json=document)
    assert 400 <= failed.status_code < 500, failed.text
    assert importer.get("/api/v1/dashboards").json()["dashboards"] == []
    assert importer.get("/api/v1/charts").json()["charts"] == []
    queries = importer.get("/api/v1/saved-queries").json()
    queries = queries if isinstance(queries, list) else queries["saved_queries"]
    assert [q for q in queries if q["mine"]] == []


def test_bad_documents_are_refused_with_4xx(client: Client, board: dict[str, Any]) -> None:
    document = _export(client, board["id"]).json()

    def attempt(body: Any) -> Any:
        return client.post("/api/v1/dashboards/import", json=body)

    malformed = client.post(
        "/api/v1/dashboards/import",
        content=b'{"kind": "belvedere.dashboard", "version": 1,',
        headers={"content-type": "application/json"},
    )
    assert malformed.status_code == 422
    cases: list[tuple[Any, str]] = [
        ([], "Input should be"),
        ({**document, "version": 2}, "version"),
        ({**document, "kind": "something"}, "kind"),
        ({**document, "owner": "admin"}, "owner"),
        ({**document, "charts": document["charts"][:1]}, "which the document lacks"),
        ({**document, "saved_queries": []}, "which the document lacks"),
        ({**document, "charts": document["charts"] * 2}, "same ref"),
    ]
    for body, said in cases:
        response = attempt(body)
        assert response.status_code == 422, (said, response.text)
        assert said in response.json()["error"]["message"], response.text
    spec_broken = json.loads(json.dumps(document))
    spec_broken["charts"][0]["spec"]["type"] = "hologram"
    assert attempt(spec_broken).status_code == 422
    huge = {**document, "saved_queries": [{**document["saved_queries"][0], "sql": "x" * 2_000_000}]}
    assert attempt(huge).status_code == 413
    before = client.get("/api/v1/dashboards").json()["dashboards"]
    assert len(before) == 1  # none of these made anything


def test_who_may_export(
    client: Client,
    board: dict[str, Any],
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    viewer = app_client().login("val")
    assert _export(viewer, board["id"]).status_code == 403  # viewers build nothing
    stranger = app_client().login(make_user("ines", Role.EDITOR))
    assert _export(stranger, board["id"]).status_code == 404
    client.put(
        f"/api/v1/dashboards/{board['id']}/shares",
        json={"shares": [{"user": "ines", "access": "editor"}]},
    )
    hidden = _export(stranger, board["id"])  # the pie's owner does not show its SQL
    assert hidden.status_code == 403
    assert "'Web by region'" in hidden.json()["error"]["message"]
    assert "Lines by channel" not in hidden.json()["error"]["message"]
