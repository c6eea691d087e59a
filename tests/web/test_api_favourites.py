"""Home: favourites (star only what you may see, never learn what you may not) and recent
queries, charts and dashboards, always limited to what the reader may still open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from belvedere.auth.roles import Role
from tests.support.web.client import Client

HTML = {"accept": "text/html"}
SPEC = {
    "type": "bar",
    "source": {"kind": "table", "schema": "main", "table": "sales"},
    "dimensions": ["category"],
    "metrics": [{"agg": "count"}],
}
QUERY = {"connection": "demo", "name": "secret query", "sql": "SELECT 'secret' AS s"}


def _objects(client: Client, tag: str = "secret") -> dict[str, int]:
    """A chart, a dashboard and a private saved query of the client's user."""
    chart = client.post(
        "/api/v1/charts", json={"name": f"{tag} chart", "connection": "demo", "spec": SPEC}
    )
    board = client.post("/api/v1/dashboards", json={"title": f"{tag} board"})
    saved = client.post("/api/v1/saved-queries", json={**QUERY, "name": f"{tag} query"})
    assert (chart.status_code, board.status_code, saved.status_code) == (201, 201, 201)
    return {
        "chart": chart.json()["id"],
        "dashboard": board.json()["id"],
        "saved_query": saved.json()["id"],
    }


def _favourites(client: Client) -> list[tuple[str, str]]:
    answer = client.get("/api/v1/me/favourites")
    assert answer.status_code == 200, answer.text
    return [(f["kind"], f["name"]) for f in answer.json()["favourites"]]


def _share(owner: Client, board: int, shares: list[dict[str, Any]]) -> None:
    answer = owner.put(f"/api/v1/dashboards/{board}/shares", json={"shares": shares})
    assert answer.status_code == 200, answer.text


def test_star_list_and_unstar(client: Client) -> None:
    ids = _objects(client, "mine")
    assert _favourites(client) == []
    for kind in ("saved_query", "chart", "dashboard"):
        starred = client.put(f"/api/v1/me/favourites/{kind}/{ids[kind]}")
        assert starred.status_code == 200, starred.text
        assert (starred.json()["kind"], starred.json()["mine"]) == (kind, True)
    again = client.put(f"/api/v1/me/favourites/chart/{ids['chart']}")  # changes nothing
    assert again.status_code == 200
    assert _favourites(client) == [
        ("dashboard", "mine board"),
        ("chart", "mine chart"),
        ("saved_query", "mine query"),
    ]
    favourites = client.get("/api/v1/me/favourites").json()["favourites"]
    assert {f["url"] for f in favourites} == {
        f"/dashboards/{ids['dashboard']}",
        f"/charts/{ids['chart']}",
        f"/sqllab?saved={ids['saved_query']}",
    }
    # the lists say which are starred
    assert [c["favourite"] for c in client.get("/api/v1/charts").json()["charts"]] == [True]
    boards = client.get("/api/v1/dashboards").json()["dashboards"]
    assert [b["favourite"] for b in boards] == [True]
    assert [s["favourite"] for s in client.get("/api/v1/saved-queries").json()] == [True]

    assert client.delete(f"/api/v1/me/favourites/chart/{ids['chart']}").status_code == 204
    assert client.delete(f"/api/v1/me/favourites/chart/{ids['chart']}").status_code == 204
    assert [k for k, _ in _favourites(client)] == ["dashboard", "saved_query"]
    assert [c["favourite"] for c in client.get("/api/v1/charts").json()["charts"]] == [False]


def test_no_one_stars_what_they_may_not_see(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    owner = app_client().login(make_user("owen", Role.EDITOR))
    ids = _objects(owner)
    other = app_client().login(make_user("edna", Role.EDITOR))
    viewer = app_client().login(make_user("vic", Role.VIEWER))
    admin = app_client().login()
    codes = {
        "chart": "chart_not_found",
        "dashboard": "dashboard_not_found",
        "saved_query": "saved_query_not_found",
    }
    for caller in (other, viewer, admin):
        for kind, object_id in ids.items():
            theirs = caller.put(f"/api/v1/me/favourites/{kind}/{object_id}")
            missing = caller.put(f"/api/v1/me/favourites/{kind}/999999")
            # the same answer as for nothing at all: no way to learn that it exists
            assert (theirs.status_code, missing.status_code) == (404, 404), theirs.text
            assert theirs.json()["error"]["code"] == codes[kind]
            assert "secret" not in theirs.text
        assert _favourites(caller) == []
    for bad in ("table/1", "chart/0", "chart/-1", "chart/abc", f"chart/{2**40}", "../chart/1"):
        answer = other.put(f"/api/v1/me/favourites/{bad}")
        assert answer.status_code in (404, 422), (bad, answer.status_code)
        assert "Traceback" not in answer.text
    # a shared saved query: editors may star it; a viewer may not (no SQL for their role)
    shared = owner.post("/api/v1/saved-queries", json={**QUERY, "name": "open", "shared": True})
    path = f"/api/v1/me/favourites/saved_query/{shared.json()['id']}"
    assert other.put(path).status_code == 200
    assert viewer.put(path).status_code == 404
    # someone else's favourite is theirs: unstarring yours changes nothing of theirs
    assert owner.put(f"/api/v1/me/favourites/chart/{ids['chart']}").status_code == 200
    assert other.delete(f"/api/v1/me/favourites/chart/{ids['chart']}").status_code == 204
    assert _favourites(owner) == [("chart", "secret chart")]
    assert _favourites(other) == [("saved_query", "open")]


def test_a_favourite_no_longer_shared_is_not_shown(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    owner = app_client().login(make_user("owen", Role.EDITOR))
    ids = _objects(owner)
    viewer = app_client().login(make_user("vic", Role.VIEWER))
    board = ids["dashboard"]
    _share(owner, board, [{"user": "vic", "access": "viewer"}])
    assert viewer.put(f"/api/v1/me/favourites/dashboard/{board}").status_code == 200
    assert viewer.get(f"/dashboards/{board}", headers=HTML).status_code == 200  # opened
    assert _favourites(viewer) == [("dashboard", "secret board")]
    recent = viewer.get("/api/v1/me/recent").json()
    assert [d["name"] for d in recent["dashboards"]] == ["secret board"]
    assert recent["dashboards"][0]["owner"] == "owen"

    _share(owner, board, [])
    assert _favourites(viewer) == []
    recent = viewer.get("/api/v1/me/recent").json()
    assert (recent["dashboards"], recent["charts"], recent["queries"]) == ([], [], [])
    assert "secret" not in viewer.get("/api/v1/me/favourites").text
    assert [d["favourite"] for d in viewer.get("/api/v1/dashboards").json()["dashboards"]] == []

    _share(owner, board, [{"role": "viewer", "access": "viewer"}])  # shared again: back
    assert _favourites(viewer) == [("dashboard", "secret board")]


def test_a_deleted_object_leaves_the_favourites(client: Client) -> None:
    ids = _objects(client, "gone")
    for kind, object_id in ids.items():
        assert client.put(f"/api/v1/me/favourites/{kind}/{object_id}").status_code == 200
        assert client.get(f"/charts/{ids['chart']}", headers=HTML).status_code == 200
    assert client.delete(f"/api/v1/charts/{ids['chart']}").status_code == 204
    assert client.delete(f"/api/v1/dashboards/{ids['dashboard']}").status_code == 204
    assert client.delete(f"/api/v1/saved-queries/{ids['saved_query']}").status_code == 204
    assert _favourites(client) == []
    recent = client.get("/api/v1/me/recent").json()
    assert (recent["charts"], recent["dashboards"]) == ([], [])
    # a new chart (which may take the deleted one's id) is not a favourite of old
    new = client.post("/api/v1/charts", json={"name": "new", "connection": "demo", "spec": SPEC})
    assert _favourites(client) == []
    assert client.get("/api/v1/charts").json()["charts"][0]["favourite"] is False
    assert client.put(f"/api/v1/me/favourites/chart/{new.json()['id']}").status_code == 200
    assert _favourites(client) == [("chart", "new")]


def test_recent_queries_charts_and_dashboards(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    for sql in ("SELECT 1 AS a", "SELECT 2 AS b", "SELECT 1 AS a"):
        run = client.post("/api/v1/runs", json={"connection": "demo", "sql": sql, "wait_ms": 30000})
        assert run.status_code == 200, run.text
    ids = _objects(client, "recent")  # the chart's column probe is no query of yours
    recent = client.get("/api/v1/me/recent").json()
    assert [(q["sql"], q["status"]) for q in recent["queries"]] == [
        ("SELECT 1 AS a", "succeeded"),
        ("SELECT 2 AS b", "succeeded"),
    ]
    assert [c["name"] for c in recent["charts"]] == ["recent chart"]  # yours, changed lately
    assert [d["name"] for d in recent["dashboards"]] == ["recent board"]

    # another user's private dashboard: opening its URL records nothing, shows nothing
    other = app_client().login(make_user("edna", Role.EDITOR))
    other.get(f"/dashboards/{ids['dashboard']}", headers=HTML)
    other.get(f"/charts/{ids['chart']}", headers=HTML)
    other.get(f"/dashboards/{2**40}", headers=HTML)
    theirs = other.get("/api/v1/me/recent").json()
    assert (theirs["queries"], theirs["charts"], theirs["dashboards"]) == ([], [], [])
    viewer = app_client().login(make_user("vic", Role.VIEWER))
    assert viewer.get("/api/v1/me/recent").json()["queries"] == []


def test_home_is_the_start_page(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    anonymous = app_client()
    response = anonymous.get("/", headers=HTML, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/")
    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    assert 'data-testid="home-favourites"' in page.text
    assert 'data-testid="home-queries"' in page.text
    assert 'href="/" data-testid="nav-home"' in page.text
    viewer = app_client().login(make_user("vic", Role.VIEWER))
    seen = viewer.get("/", headers=HTML)
    assert seen.status_code == 200
    assert 'data-testid="home-queries"' not in seen.text  # no SQL for their role
    assert 'data-testid="home-dashboards"' in seen.text
