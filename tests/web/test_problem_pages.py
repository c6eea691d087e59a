"""A browser that opens an address with no page is shown a page (not the API's JSON), the
address as text; the API and other clients keep JSON; the icon answers where browsers look."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.web.client import Client

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_an_unknown_address_is_a_404_page_with_the_nav(client: Client) -> None:
    page = client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    assert "There is no page at “/no/such/page”" in page.text
    assert 'class="topbar"' in page.text  # signed in: the nav
    assert 'href="/">Back to Belvedere</a>' in page.text


def test_signed_out_the_404_page_links_to_sign_in(app_client: Callable[[], Client]) -> None:
    page = app_client().get("/nowhere", headers=HTML)
    assert page.status_code == 404
    assert "Page not found" in page.text
    assert 'class="topbar"' not in page.text
    assert 'href="/login">Back to sign-in</a>' in page.text


def test_a_crafted_address_is_shown_as_text(client: Client) -> None:
    page = client.get("/%3Cscript%3Ealert(1)%3C/script%3E%22%3E%3Cimg%20src=x%3E", headers=HTML)
    assert page.status_code == 404
    assert "<script>alert(1)" not in page.text
    assert "<img src=x>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img" in page.text
    long = client.get("/" + "a" * 5000, headers=HTML)
    assert long.status_code == 404 and "a" * 200 not in long.text


def test_the_api_and_other_clients_keep_json(client: Client) -> None:
    for path, headers in (
        ("/api/v1/nothing", HTML),
        ("/no/such/page", {}),
        ("/no/such/page", {"accept": "application/json"}),
    ):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


def test_a_wrong_method_or_malformed_page_address_is_a_page(client: Client) -> None:
    wrong = client.delete("/sqllab", headers=HTML)
    assert wrong.status_code == 405
    assert "does not take a DELETE request" in wrong.text
    assert "GET" in wrong.headers["allow"]
    assert client.delete("/api/v1/runs/history").json()["error"]["code"] == "method_not_allowed"
    malformed = client.get("/dashboards/abc", headers=HTML)
    assert malformed.status_code == 404
    assert "There is no page at “/dashboards/abc”" in malformed.text
    assert client.get("/dashboards/abc").json()["error"]["code"] == "invalid_request"


def test_the_icon_is_linked_and_answers(client: Client) -> None:
    page = client.get("/sqllab", headers=HTML)
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in page.text
    for path in ("/favicon.svg", "/favicon.ico"):
        icon = client.get(path)
        assert icon.status_code == 200
        assert icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.text.startswith("<svg") and "</svg>" in icon.text
    client.cookies.clear()  # browsers ask for it before signing in too
    assert client.get("/favicon.ico").status_code == 200
