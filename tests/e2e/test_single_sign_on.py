"""Single sign-on in the browser: the sign-in page offers it only when it is configured; a user
signs in at the provider (oidc-provider-mock) and comes back signed in, without a password to
change; a refusal at the provider is a readable page; admins see the account as single
sign-on, with no password to set."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import ADMIN_PASSWORD, Server, ready, serve
from tests.support.identity.oidc import OidcProvider

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sso_server(
    tmp_path_factory: pytest.TempPathFactory, _oidc_server: OidcProvider
) -> Iterator[Server]:
    """A second server, with sign-in through the test's OpenID Connect provider."""
    with serve(
        tmp_path_factory.mktemp("e2e-sso"),
        BELVEDERE_OIDC_CLIENT_ID="belvedere-e2e",
        BELVEDERE_OIDC_CLIENT_SECRET="e2e-secret",
        BELVEDERE_OIDC_ISSUER=_oidc_server.issuer,
    ) as running:
        yield running


@pytest.fixture
def sso_page(context: BrowserContext, sso_server: Server) -> Page:
    """A page of a fresh context; the provider's page loads no stylesheet from the internet."""
    context.route(re.compile(r"^https://cdn\.jsdelivr\.net/"), lambda route: route.abort())
    return context.new_page()


def test_no_single_sign_on_unless_configured(page: Page) -> None:
    page.goto("/login")
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.locator("#oidc-sign-in")).to_have_count(0)


def test_sign_in_with_the_provider(sso_page: Page, sso_server: Server) -> None:
    page = sso_page
    page.goto(f"{sso_server.url}/login")
    button = page.locator("#oidc-sign-in")
    expect(page.get_by_role("link", name="Sign in with Google", exact=True)).to_be_visible()
    expect(button).to_have_attribute("href", re.compile(r"^/auth/oidc/start\?next="))
    button.click()
    page.locator("input[name=sub]").fill("alice")
    page.get_by_role("button", name="Authorize").click()

    expect(page).to_have_url(f"{sso_server.url}/")  # the start page: Home
    expect(page.locator(".topbar .username")).to_have_text("Alice Archer")
    expect(page.locator("#change-password")).to_have_count(0)  # no password to change

    ready(page)
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.wait_for_load_state()  # the sign-in form's script is running
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r":\d+/$"))  # Home
    page.goto(f"{sso_server.url}/users")
    alice = page.locator("tr[data-user='alice@example.com']")  # named by their email
    expect(alice.locator(".pill.sso")).to_have_text("Single sign-on")
    expect(alice).to_contain_text("Alice Archer")
    expect(alice.get_by_role("button", name="Set password…")).to_have_count(0)
    expect(page.locator("tr[data-user=admin]").locator(".pill.local")).to_have_text("Password")


def test_a_refusal_at_the_provider_is_a_readable_page(sso_page: Page, sso_server: Server) -> None:
    page = sso_page
    page.goto(f"{sso_server.url}/login")
    page.locator("#oidc-sign-in").click()
    page.get_by_role("button", name="Deny").click()
    notice = page.locator("section.notice")
    expect(notice.get_by_role("heading")).to_have_text("Sign-in failed")
    expect(notice.locator(".message")).to_contain_text("denied the request")
    notice.get_by_role("link", name="Back to sign-in").click()
    expect(page.locator("#oidc-sign-in")).to_be_visible()
