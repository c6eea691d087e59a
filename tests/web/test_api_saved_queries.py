"""Saved queries: private drafts, shared queries, only owners change them, run as yourself."""

from __future__ import annotations

from collections.abc import Callable

from belvedere.auth.roles import Role
from tests.support.web.client import Client

QUERY = {
    "connection": "demo",
    "name": "Revenue by region",
    "sql": "SELECT region, count(*) AS n FROM customers GROUP BY 1 ORDER BY 1",
}


def test_save_list_change_delete(client: Client) -> None:
    saved = client.post("/api/v1/saved-queries", json=QUERY)
    assert saved.status_code == 201
    body = saved.json()
    assert (body["name"], body["shared"], body["mine"]) == ("Revenue by region", False, True)
    assert [s["id"] for s in client.get("/api/v1/saved-queries").json()] == [body["id"]]
    changed = client.patch(
        f"/api/v1/saved-queries/{body['id']}", json={"name": "Regions", "shared": True}
    )
    assert (changed.json()["name"], changed.json()["shared"]) == ("Regions", True)
    assert client.delete(f"/api/v1/saved-queries/{body['id']}").status_code == 204
    assert client.get(f"/api/v1/saved-queries/{body['id']}").status_code == 404


def test_drafts_are_private_and_shared_ones_read_only(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    draft = client.post("/api/v1/saved-queries", json=QUERY).json()
    shared = client.post(
        "/api/v1/saved-queries", json={**QUERY, "name": "Shared", "shared": True}
    ).json()
    other = app_client().login(make_user("olga", Role.EDITOR))
    assert [s["name"] for s in other.get("/api/v1/saved-queries").json()] == ["Shared"]
    for response in (
        other.get(f"/api/v1/saved-queries/{draft['id']}"),
        other.patch(f"/api/v1/saved-queries/{draft['id']}", json={"name": "mine now"}),
        other.delete(f"/api/v1/saved-queries/{draft['id']}"),
        other.post(f"/api/v1/saved-queries/{draft['id']}/run", json={}),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "saved_query_not_found"
    seen = other.get(f"/api/v1/saved-queries/{shared['id']}").json()
    assert (seen["mine"], seen["owner"], seen["sql"]) == (False, "admin", QUERY["sql"])
    for response in (
        other.patch(f"/api/v1/saved-queries/{shared['id']}", json={"sql": "SELECT 1"}),
        other.delete(f"/api/v1/saved-queries/{shared['id']}"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_owner"
    assert client.get(f"/api/v1/saved-queries/{shared['id']}").json()["sql"] == QUERY["sql"]


def test_run_a_shared_query_as_yourself(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    shared = client.post("/api/v1/saved-queries", json={**QUERY, "shared": True}).json()
    other = app_client().login(make_user("pia", Role.EDITOR))
    run = other.post(f"/api/v1/saved-queries/{shared['id']}/run", json={"wait_ms": 10000}).json()
    assert run["status"] == "succeeded"
    assert run["result"]["rows"][0][0] == "Asia Pacific"
    assert [r["id"] for r in other.get("/api/v1/history").json()["runs"]] == [run["id"]]
    assert client.get(f"/api/v1/runs/{run['id']}").status_code == 404  # pia's run, not admin's


def test_bad_saved_queries(client: Client) -> None:
    unknown = client.post("/api/v1/saved-queries", json={**QUERY, "connection": "nope"})
    assert unknown.status_code == 404
    empty = client.post("/api/v1/saved-queries", json={**QUERY, "sql": ""})
    assert empty.status_code == 422
    assert client.get("/api/v1/saved-queries").json() == []
