"""Bad input gets a clear message and a 4xx, never a 500 or a traceback, and loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import update

from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.store.models import WebSession, utcnow
from tests.support.web.client import Client


def assert_clear_error(response, status: int, code: str, *words: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    error = body["error"]
    assert error["code"] == code
    for word in words:
        assert word.lower() in error["message"].lower()
    assert "Traceback" not in response.text
    return error


@pytest.fixture
def stored(client: Client) -> Callable[[], tuple[list[str], int]]:
    """What is stored: connection names and the number of runs in history."""
    client.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT 1"})

    def snapshot() -> tuple[list[str], int]:
        names = [c["name"] for c in client.get("/api/v1/connections").json()]
        return names, len(client.get("/api/v1/history").json()["runs"])

    return snapshot


def test_syntax_error(client: Client, stored: Callable[[], tuple[list[str], int]]) -> None:
    names, runs = stored()
    response = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": "SELECT *\nFORM orders"}
    )
    error = assert_clear_error(response, 400, "syntax_error", "syntax error")
    assert error["line"] == 2
    assert response.json()["run"]["status"] == "failed"
    assert stored() == (names, runs + 1)  # recorded in history, nothing else touched


def test_unknown_table(client: Client) -> None:
    response = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": "SELECT * FROM nowhere"}
    )
    error = assert_clear_error(response, 400, "not_found", "nowhere")
    assert (error["line"], error["column"]) == (1, 15)


def test_unknown_connection(client: Client, stored: Callable[[], tuple[list[str], int]]) -> None:
    before = stored()
    response = client.post("/api/v1/runs", json={"connection": "nope", "sql": "SELECT 1"})
    assert_clear_error(response, 404, "connection_not_found", "nope")
    assert stored() == before


def test_empty_query(client: Client, stored: Callable[[], tuple[list[str], int]]) -> None:
    before = stored()
    response = client.post("/api/v1/runs", json={"connection": "demo", "sql": "   \n  "})
    assert_clear_error(response, 400, "invalid_request", "empty")
    assert stored() == before


def test_malformed_body(client: Client) -> None:
    response = client.post(
        "/api/v1/runs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_clear_error(response, 422, "invalid_request", "json")
    response = client.post("/api/v1/runs", json={"sql": "SELECT 1"})
    assert_clear_error(response, 422, "invalid_request", "connection")


def test_ten_megabyte_body(client: Client, stored: Callable[[], tuple[list[str], int]]) -> None:
    before = stored()
    sql = "SELECT '" + "x" * (10 * 1024 * 1024) + "'"
    response = client.post("/api/v1/runs", json={"connection": "demo", "sql": sql})
    assert_clear_error(response, 413, "request_too_large", "larger than")
    assert stored() == before


def test_streamed_body_without_length_is_limited(client: Client) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * (1024 * 1024)

    response = client.post(
        "/api/v1/runs", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_clear_error(response, 413, "request_too_large")


def test_wrong_password(app_client: Callable[[], Client]) -> None:
    client = app_client()
    client.get("/api/v1/auth/csrf")
    response = client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": "nope-nope"}
    )
    assert_clear_error(response, 401, "wrong_credentials", "wrong username or password")
    assert "belvedere_session" not in client.cookies
    response = client.post(
        "/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"}
    )
    assert_clear_error(response, 401, "wrong_credentials", "wrong username or password")


def test_missing_session(app_client: Callable[[], Client]) -> None:
    client = app_client()
    assert_clear_error(client.get("/api/v1/history"), 401, "not_signed_in", "sign in")
    client.cookies.set("belvedere_session", "forged-value")
    assert_clear_error(client.get("/api/v1/connections"), 401, "not_signed_in")


def test_expired_session(client: Client, services: Services) -> None:
    with services.db.session() as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert_clear_error(client.get("/api/v1/history"), 401, "not_signed_in", "expired")


def test_expired_session_page_redirects_to_sign_in(client: Client, services: Services) -> None:
    with services.db.session() as s:
        s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(days=30)))
    response = client.get("/sqllab", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/sqllab"


def test_viewer_calling_admin_endpoints(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str], client: Client
) -> None:
    viewer = app_client().login(make_user("vera", Role.VIEWER))
    before = [c["name"] for c in client.get("/api/v1/connections").json()]
    attempts = [
        viewer.post(
            "/api/v1/connections",
            json={"name": "x", "kind": "duckdb", "options": {"path": ":memory:"}},
        ),
        viewer.delete("/api/v1/connections/demo"),
        viewer.patch("/api/v1/connections/demo", json={"timeout_seconds": 1}),
        viewer.get("/api/v1/users"),
        viewer.post(
            "/api/v1/users", json={"username": "eve", "password": "password-1", "role": "admin"}
        ),
        viewer.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT 1"}),
    ]
    for response in attempts:
        assert_clear_error(response, 403, "forbidden", "your role may not")
    assert [c["name"] for c in client.get("/api/v1/connections").json()] == before
    assert [u["username"] for u in client.get("/api/v1/users").json()] == ["admin", "vera"]


def test_editor_cannot_manage_connections(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    editor = app_client().login(make_user("ed", Role.EDITOR))
    response = editor.delete("/api/v1/connections/demo")
    assert_clear_error(response, 403, "forbidden", "add, edit and remove connections")
    assert (
        editor.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT 1"}).status_code
        == 200
    )


def test_invalid_connection_definition(client: Client) -> None:
    response = client.post(
        "/api/v1/connections", json={"name": "pg", "kind": "postgres", "options": {"port": "x"}}
    )
    assert_clear_error(response, 400, "invalid_connection", "database", "port")
    response = client.post(
        "/api/v1/connections",
        json={"name": "demo", "kind": "duckdb", "options": {"path": ":memory:"}},
    )
    assert_clear_error(response, 400, "invalid_connection", "already exists")
    response = client.post(
        "/api/v1/connections", json={"name": "o", "kind": "oracle", "options": {}}
    )
    assert_clear_error(response, 400, "invalid_connection", "unknown connection kind")
    assert client.get("/api/v1/connections/demo").json()["options"]["read_only"] is True


def test_unknown_run_and_route(client: Client) -> None:
    assert_clear_error(client.get("/api/v1/runs/0123456789abcdef"), 404, "run_not_found")
    assert_clear_error(client.get("/api/v1/runs/../../etc/passwd"), 404, "not_found")
    assert_clear_error(client.get("/api/v1/nothing"), 404, "not_found")


def test_result_of_a_failed_run(client: Client) -> None:
    failed = client.post("/api/v1/runs", json={"connection": "demo", "sql": "SELECT nope"}).json()
    run_id = failed["run"]["id"]
    assert_clear_error(client.get(f"/api/v1/runs/{run_id}/results"), 409, "no_result", "failed")
    assert_clear_error(
        client.get(f"/api/v1/runs/{run_id}/export?format=xlsx"), 422, "invalid_request"
    )


def test_missing_csrf_token(client: Client) -> None:
    response = client.post(
        "/api/v1/runs",
        json={"connection": "demo", "sql": "SELECT 1"},
        headers={"x-csrf-token": "wrong"},
    )
    assert_clear_error(response, 403, "csrf_failed", "csrf")
    response = client.post(
        "/api/v1/runs",
        json={"connection": "demo", "sql": "SELECT 1"},
        headers={"origin": "https://evil.example"},
    )
    assert_clear_error(response, 403, "csrf_failed", "cross-site")
