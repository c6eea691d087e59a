"""Pages: sign-in redirects, role checks, escaping of request values, static files, API docs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import belvedere.web.app as web_app
from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.web.redirects import safe_next
from tests.support.web.client import Client, app_clients

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


def test_the_schedules_page_is_for_those_who_may_schedule(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    editor = app_client().login(make_user("eda", Role.EDITOR))
    page = editor.get("/schedules", headers=HTML)
    assert page.status_code == 200 and 'id="schedule-list"' in page.text
    assert 'href="/schedules"' in page.text  # the nav link
    assert 'data-testid="nav-schedules"' in client.get("/dashboards", headers=HTML).text
    viewer = app_client().login(make_user("vic", Role.VIEWER))
    assert 'href="/schedules"' not in viewer.get("/dashboards", headers=HTML).text
    refused = viewer.get("/schedules", headers=HTML)
    assert refused.status_code == 403 and "Your role may not run SQL" in refused.text


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/sqllab", "/sqllab"),
        ("/connections?x=1", "/connections?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\x7f", "/"),
        ("http:/evil.example", "/"),
        ("/" + "a" * 3000, "/"),
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


ATTACK = "/</script><meta http-equiv=refresh content=0;url=https://evil.example/>"


def page_data(html: str) -> Any:
    """The page's data as the browser code reads it (``JSON.parse`` of the element's text)."""
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert found, "no page data"
    return json.loads(found.group(1))


def test_a_crafted_next_comes_back_escaped(app_client: Callable[[], Client]) -> None:
    page = app_client().get("/login", params={"next": ATTACK}, headers=HTML)
    assert page.status_code == 200
    assert "<meta http-equiv" not in page.text
    assert page.text.count("</script>") == 2  # the bundle's and the page data's own
    assert page_data(page.text)["page"]["next"] == ATTACK  # a local path: kept, as data


def test_a_safe_next_is_still_honoured(app_client: Callable[[], Client]) -> None:
    client = app_client()
    page = client.get("/login", params={"next": "/charts?x=1&y=2"}, headers=HTML)
    assert page_data(page.text)["page"]["next"] == "/charts?x=1&y=2"
    assert "\\u0026" in page.text  # "&" escaped inside the script element
    evil = client.get("/login", params={"next": "//evil.example/"}, headers=HTML)
    assert page_data(evil.text)["page"]["next"] == "/"
    client.login()
    done = client.get("/login?next=/charts%3Fx%3D1", headers=HTML, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/charts?x=1")


def test_a_crafted_sign_in_error_comes_back_escaped(app_client: Callable[[], Client]) -> None:
    description = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    page = app_client().get(
        "/auth/oidc/callback", params={"error": "x", "error_description": description}
    )
    assert page.status_code == 400
    assert "<script>alert" not in page.text
    assert "<img" not in page.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in page.text  # shown as text
    assert description in page_data(page.text)["page"]["message"]


def test_a_sign_in_error_is_shown_short(app_client: Callable[[], Client]) -> None:
    page = app_client().get(
        "/auth/oidc/callback", params={"error": "x", "error_description": "call us " * 500}
    )
    message = page_data(page.text)["page"]["message"]
    assert len(message) < 300
    assert message.endswith("….")


TRAVERSALS = [
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2fetc%2fpasswd",
    "/static/build/%00.js",
    "/static//etc/passwd",
    "/static/build/..%5c..%5cpyproject.toml",
    "/static/build/%2e/app.js",
    "/static/build/app.js%00",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_static_traversal_attempts_answer_404(client: Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", [*TRAVERSALS, "/static/build/app.js"])
def test_static_files_answer_404_when_the_front_end_is_not_built(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(web_app, "STATIC", tmp_path / "not-built")
    with app_clients(services) as make:
        assert make(raise_server_exceptions=False).get(path).status_code == 404


def test_a_chart_that_is_not_yours_is_a_404_page_not_a_blank_builder(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    spec = {
        "type": "bar",
        "source": {"kind": "table", "schema": "main", "table": "sales"},
        "dimensions": ["channel"],
        "metrics": [{"agg": "count"}],
    }
    made = client.post("/api/v1/charts", json={"name": "Mine", "connection": "demo", "spec": spec})
    chart_id = made.json()["id"]
    assert client.get(f"/charts/{chart_id}", headers=HTML).status_code == 200
    other = app_client().login(make_user("ed", Role.EDITOR))
    for who, path in ((client, "/charts/999"), (other, f"/charts/{chart_id}")):
        page = who.get(path, headers=HTML)
        assert page.status_code == 404
        assert "No such chart" in page.text
        assert 'id="explore"' not in page.text
