"""Ids out of the store's range and explicit nulls in a PATCH answer 404 or 422, never 500;
a date-time without an offset reads as UTC.

The routes and fields come from the app's OpenAPI document, so a new route with an id, or a
new PATCH field, is covered without touching this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from belvedere.auth.roles import Role
from belvedere.costs.model import Scope
from belvedere.services import Services
from belvedere.store.ids import MAX_ROW_ID
from tests.support.web.client import Client, app_clients

BAD_IDS = [2**63, -(2**63) - 1, 2**31, 0, -1]
TILE = {"id": "t", "kind": "chart", "x": 0, "y": 0, "w": 6, "h": 4}
SPEC = {"type": "table", "source": {"kind": "table", "schema": "main", "table": "regions"}}


@dataclass
class Objects:
    """Real objects of the admin's, one of each kind a route names by id."""

    ids: dict[str, int]
    values: dict[str, str]


@pytest.fixture
def objects(client: Client, make_user: Any, services: Services) -> Objects:
    saved = client.post(
        "/api/v1/saved-queries", json={"connection": "demo", "name": "q", "sql": "SELECT 1"}
    ).json()
    chart = client.post("/api/v1/charts", json={"name": "c", "connection": "demo", "spec": SPEC})
    board = client.post("/api/v1/dashboards", json={"title": "b"}).json()
    tile = {**TILE, "chart_id": chart.json()["id"]}
    client.patch(f"/api/v1/dashboards/{board['id']}", json={"layout": {"tiles": [tile]}})
    run = client.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT 1"}).json()
    viewer = client.get("/api/v1/users").json()[0]["id"]
    make_user("vera", Role.VIEWER)
    schedule = client.post(
        "/api/v1/schedules",
        json={
            "name": "s",
            "target": {"kind": "saved_query", "id": saved["id"]},
            "cron": "0 8 * * 1",
            "recipients": ["boss@example.com"],
        },
    ).json()
    ids = {"saved_id": saved["id"], "chart_id": chart.json()["id"], "dashboard_id": board["id"]}
    ids["schedule_id"] = schedule["id"]
    ids["user_id"] = viewer
    rule = services.cost_store.set_rule(
        "bq",
        Scope.ROLE,
        "viewer",
        max_bytes_per_query=1,
        daily_bytes=2,
        monthly_bytes=3,
        actor_id=None,
    )
    ids["rule_id"] = rule.id
    values = {"name": "demo", "connection": "demo", "schema": "main", "table": "regions"}
    values["kind"] = "dashboard"  # a favourite's kind (the id is checked all the same)
    values["run_id"] = run["id"]
    return Objects(ids, values)


def _openapi(services: Services) -> dict[str, Any]:
    with app_clients(services) as clients:
        return clients.app.openapi()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/"):
                yield method.upper(), path, operation


def _id_params(operation: dict[str, Any]) -> list[str]:
    return [
        p["name"]
        for p in operation.get("parameters", [])
        if p["in"] == "path" and p["schema"].get("type") == "integer"
    ]


def _fill(path: str, objects: Objects, **override: Any) -> str:
    values = {**objects.values, **objects.ids, **override}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _json_body(method: str) -> dict[str, Any] | None:
    return {} if method in ("POST", "PUT", "PATCH") else None


def test_every_id_route_refuses_out_of_range_ids(
    services: Services, client: Client, objects: Objects
) -> None:
    spec = _openapi(services)
    tried = []
    for method, path, operation in _operations(spec):
        for param in _id_params(operation):
            for bad in BAD_IDS:
                url = _fill(path, objects, **{param: bad})
                response = client.request(method, url, json=_json_body(method))
                tried.append(f"{method} {path}")
                assert response.status_code in (404, 422), (method, url, response.text)
                assert response.json()["error"]["code"] in ("invalid_request", "not_found")
    # the routes: charts, dashboards, saved queries, tiles, shares, filter values, users
    assert len(set(tried)) >= 15, sorted(set(tried))


def test_every_id_is_bounded_in_the_openapi_document(services: Services) -> None:
    """Ids in paths and bodies declare the store's range, so clients and fuzzers know it."""
    spec = _openapi(services)
    unbounded = []
    for method, path, operation in _operations(spec):
        for p in operation.get("parameters", []):
            schema = p["schema"]
            bounds = (schema.get("minimum"), schema.get("maximum"))
            if p["in"] == "path" and schema.get("type") == "integer" and bounds != (1, MAX_ROW_ID):
                unbounded.append(f"{method} {path} {p['name']}")

    def walk(where: str, node: Any) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if name != "id" and not name.endswith("_id"):
                    continue
                for option in [prop, *prop.get("anyOf", [])]:
                    bounds = (option.get("minimum"), option.get("maximum"))
                    if option.get("type") == "integer" and bounds != (1, MAX_ROW_ID):
                        unbounded.append(f"{where}.{name}")
            for value in node.values():
                walk(where, value)
        elif isinstance(node, list):
            for value in node:
                walk(where, value)

    for name, schema in spec["components"]["schemas"].items():
        if not name.endswith("Out"):  # answers carry ids the server made
            walk(name, schema)
    assert not unbounded, unbounded


@pytest.mark.parametrize("bad", [2**63, -(2**63) - 1, 0])
def test_ids_inside_bodies_are_refused(client: Client, objects: Objects, bad: int) -> None:
    board = objects.ids["dashboard_id"]
    layout = {"tiles": [{**TILE, "chart_id": bad}]}
    response = client.patch(f"/api/v1/dashboards/{board}", json={"layout": layout})
    assert response.status_code == 422, response.text
    assert "chart_id" in response.json()["error"]["message"]
    source = {"kind": "saved_query", "saved_query_id": bad}
    for url in ("/api/v1/charts/sql", "/api/v1/charts/explore", "/api/v1/charts/columns"):
        body = {"connection": "demo", "spec": {**SPEC, "source": source}, "source": source}
        response = client.post(url, json=body)
        assert response.status_code == 422, (url, response.text)
    # and the connection to the store still works afterwards
    assert client.get(f"/api/v1/dashboards/{board}").status_code == 200


def _patch_fields(spec: dict[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """(path, field, nullable) for every field of every PATCH body."""
    schemas = spec["components"]["schemas"]
    for method, path, operation in _operations(spec):
        if method != "PATCH":
            continue
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schemas[ref.rsplit("/", 1)[1]]
        for field, prop in body["properties"].items():
            nullable = any(o.get("type") == "null" for o in [prop, *prop.get("anyOf", [])])
            yield path, field, nullable


def test_null_in_every_patch_field_is_refused_unless_it_clears(
    services: Services, client: Client, objects: Objects
) -> None:
    """A field that null cannot clear answers 422; one the schema declares nullable (a chart's
    cache lifetime: back to the default; a dashboard's refresh: off) is cleared."""
    fields = list(_patch_fields(_openapi(services)))
    assert {f for _, f, _ in fields} >= {"shared", "title", "name", "role", "options"}
    vera = next(u["id"] for u in client.get("/api/v1/users").json() if u["username"] == "vera")
    for path, field, nullable in fields:
        url = _fill(path, objects, user_id=vera)
        before = client.get(url).json() if not path.startswith("/api/v1/users") else None
        response = client.patch(url, json={field: None})
        if nullable:
            assert response.status_code == 200, (path, field, response.text)
            assert response.json()[field] is None, (path, field)
            continue
        assert response.status_code == 422, (path, field, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_request", error
        assert error["message"].startswith(f"Invalid request: {field}: "), error
        if before is not None:
            assert client.get(url).json() == before, (path, field)  # nothing changed


def test_a_date_time_without_an_offset_reads_as_utc(client: Client, objects: Objects) -> None:
    """`before`, `since`, `until` without an offset (a 500 once: the store holds UTC)."""
    history = client.get("/api/v1/history", params={"before": "2999-01-01T00:00:00"})
    assert history.status_code == 200, history.text
    assert objects.values["run_id"] in [r["id"] for r in history.json()["runs"]]
    window = {"since": "2000-01-01T00:00", "until": "2999-01-01T00:00", "before": "2999-01-01"}
    audit = client.get("/api/v1/audit", params=window)
    assert audit.status_code == 200, audit.text
    assert objects.values["run_id"] in [e["run_id"] for e in audit.json()["entries"]]
