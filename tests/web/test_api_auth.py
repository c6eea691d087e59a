"""Sign-in, sessions and CSRF through the API."""

from __future__ import annotations

from collections.abc import Callable

from belvedere.auth.roles import Role
from belvedere.services import Services
from tests.support.web.client import PASSWORD, Client


def test_sign_in_sets_a_protected_session_cookie(app_client: Callable[[], Client]) -> None:
    client = app_client()
    client.get("/api/v1/auth/csrf")
    response = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["role"] == "admin"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("belvedere_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert client.get("/api/v1/auth/me").json()["user"]["username"] == "admin"


def test_session_id_changes_at_sign_in(app_client: Callable[[], Client]) -> None:
    client = app_client().login()
    first = client.cookies.get("belvedere_session")
    client.login()
    second = client.cookies.get("belvedere_session")
    assert first != second
    stale = app_client()
    stale.cookies.set("belvedere_session", first)
    assert stale.get("/api/v1/auth/me").status_code == 401  # the old session ended


def test_sign_out_ends_the_session_on_the_server(app_client: Callable[[], Client]) -> None:
    client = app_client().login()
    cookie = client.cookies.get("belvedere_session")
    assert client.post("/api/v1/auth/logout").status_code == 204
    replay = app_client()
    replay.cookies.set("belvedere_session", cookie)
    assert replay.get("/api/v1/auth/me").status_code == 401


def test_deactivated_user_loses_their_session(
    app_client: Callable[[], Client], client: Client, make_user: Callable[[str, Role], str]
) -> None:
    user = app_client().login(make_user("temp", Role.EDITOR))
    user_id = user.get("/api/v1/auth/me").json()["user"]["id"]
    assert client.patch(f"/api/v1/users/{user_id}", json={"is_active": False}).status_code == 200
    assert user.get("/api/v1/auth/me").status_code == 401


def test_admin_cannot_lock_themselves_out(client: Client, services: Services) -> None:
    me = client.get("/api/v1/auth/me").json()["user"]["id"]
    response = client.patch(f"/api/v1/users/{me}", json={"role": "viewer"})
    assert response.status_code == 400
    assert services.users.get(me).role == "admin"  # type: ignore[union-attr]


def test_admin_manages_users(client: Client, app_client: Callable[[], Client]) -> None:
    created = client.post(
        "/api/v1/users", json={"username": "nora", "password": "nora-password", "role": "editor"}
    )
    assert created.status_code == 201
    assert created.json()["permissions"] == ["edit_charts", "run_sql", "use_connections"]
    nora = app_client().login("nora", "nora-password")
    assert nora.get("/api/v1/auth/me").json()["user"]["role"] == "editor"
    duplicate = client.post("/api/v1/users", json={"username": "nora", "password": "nora-password"})
    assert duplicate.status_code == 400


def test_change_own_password(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    username = make_user("paula", Role.EDITOR)
    client = app_client().login(username)
    other_device = app_client().login(username)
    wrong = client.post(
        "/api/v1/auth/password",
        json={"current_password": "nope-nope", "new_password": "another-one"},
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "wrong_password")
    short = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "short"}
    )
    assert short.status_code == 400
    assert "at least 8" in short.json()["error"]["message"]
    changed = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "another-one"}
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 200  # this session goes on
    assert other_device.get("/api/v1/auth/me").status_code == 401  # the others end
    app_client().login(username, "another-one")
