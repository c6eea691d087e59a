"""Security headers on every answer: pages, API, static files, errors; pages with no inline
script, so that the Content-Security-Policy can forbid them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from httpx import Headers

import belvedere.web.app as web_app
from belvedere.auth.roles import Role
from belvedere.services import Services
from tests.support.web.client import Client, MakeClient, app_clients

HTML = {"accept": "text/html"}

PAGES = [
    "/sqllab",
    "/charts",
    "/charts/new",
    "/dashboards",
    "/schedules",
    "/connections",
    "/audit",
    "/users",
    "/api/docs",
]


def csp(headers: Headers) -> dict[str, list[str]]:
    """The Content-Security-Policy as directive -> sources."""
    directives = [d.split() for d in headers["content-security-policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def assert_protected(headers: Headers) -> None:
    policy = csp(headers)
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


def assert_no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert "javascript:" not in html


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_protected(client: Client, path: str) -> None:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200
    assert_protected(page.headers)
    assert_no_inline_script(page.text)


def test_signed_out_pages_are_protected(app_client: Callable[[], Client]) -> None:
    client = app_client()
    for path, status in [
        ("/login?next=/charts", 200),
        ("/auth/oidc/callback?error=access_denied", 400),
        ("/auth/oidc/start", 404),
    ]:
        page = client.get(path, headers=HTML)
        assert page.status_code == status
        assert_protected(page.headers)
        assert_no_inline_script(page.text)
    redirect = client.get("/sqllab", headers=HTML, follow_redirects=False)
    assert redirect.status_code == 303
    assert_protected(redirect.headers)


def test_forbidden_page_is_protected(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    viewer = app_client().login(make_user("val", Role.VIEWER))
    page = viewer.get("/sqllab", headers=HTML)
    assert page.status_code == 403
    assert_protected(page.headers)


def test_api_answers_are_protected(client: Client) -> None:
    for path, status in [
        ("/health", 200),
        ("/api/v1/auth/me", 200),
        ("/api/v1/openapi.json", 200),
        ("/api/v1/charts/999999", 404),
        ("/api/v1/nothing-here", 404),
    ]:
        answer = client.get(path)
        assert answer.status_code == status, path
        assert_protected(answer.headers)
    assert_protected(client.post("/api/v1/auth/logout", headers={"x-csrf-token": "x"}).headers)


def test_too_large_bodies_and_server_errors_are_protected(app_client: MakeClient) -> None:
    @app_client.app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    client = app_client(raise_server_exceptions=False)
    large = client.post("/api/v1/auth/login", content=b"x" * (2 * 1024 * 1024))
    assert large.status_code == 413
    assert_protected(large.headers)
    error = client.get("/boom")
    assert error.status_code == 500
    assert_protected(error.headers)


@pytest.fixture
def static_client(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Client]:
    """A client of an app whose static folder holds one built file."""
    (tmp_path / "static" / "build").mkdir(parents=True)
    (tmp_path / "static" / "build" / "app.js").write_text("export {};\n")
    monkeypatch.setattr(web_app, "STATIC", tmp_path / "static")
    with app_clients(services) as make:
        yield make()


def test_static_files_are_protected(static_client: Client) -> None:
    asset = static_client.get("/static/build/app.js")
    assert asset.status_code == 200
    assert_protected(asset.headers)
    assert_protected(static_client.get("/static/build/missing.js").headers)
