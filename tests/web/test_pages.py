"""Pages: sign-in redirects, role checks, security headers, API docs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from belvedere.auth.roles import Role
from belvedere.web.pages.routes import safe_next
from tests.conftest import Client

HTML = {"accept": "text/html"}


def test_pages_need_a_session(app_client: Callable[[], Client]) -> None:
    client = app_client()
    response = client.get("/sqllab", headers=HTML, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/sqllab")
    login = client.get("/login?next=/sqllab", headers=HTML)
    assert login.status_code == 200
    assert 'id="login-form"' in login.text
    assert client.cookies.get("belvedere_csrf")


def test_signed_in_user_gets_sql_lab(client: Client) -> None:
    page = client.get("/sqllab", headers=HTML)
    assert page.status_code == 200
    assert 'id="sqllab"' in page.text
    assert "/static/build/app.js" in page.text
    assert (
        client.get("/login?next=/connections", headers=HTML, follow_redirects=False).headers[
            "location"
        ]
        == "/connections"
    )


def test_viewer_is_told_sql_lab_is_not_for_their_role(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    viewer = app_client().login(make_user("val", Role.VIEWER))
    page = viewer.get("/sqllab", headers=HTML)
    assert page.status_code == 403
    assert "Your role may not run SQL" in page.text


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/sqllab", "/sqllab"),
        ("/connections?x=1", "/connections?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_next_redirects_only_to_local_paths(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_security_headers(client: Client) -> None:
    headers = client.get("/sqllab", headers=HTML).headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


def test_openapi_documents_the_api(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/runs",
        "/api/v1/runs/{run_id}/cancel",
        "/api/v1/connections",
        "/api/v1/history",
    ):
        assert path in spec["paths"]
    docs = client.get("/api/docs", headers=HTML)
    assert docs.status_code == 200
    assert "swagger-ui-bundle.js" in docs.text
