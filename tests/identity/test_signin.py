"""Sign-in with OpenID Connect (oidc-provider-mock): users created at first sign-in with the
default role, groups mapped to roles; state and nonce checked on every callback; next= only to
local paths; the session id changes at sign-in; sign-out ends it on the server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from belvedere.services import Services
from belvedere.settings import Settings
from tests.identity.helpers import local
from tests.support.identity.oidc import OidcProvider
from tests.support.web.client import PASSWORD, Client, app_clients


@pytest.fixture
def sso(
    tmp_path: Path, oidc_provider: OidcProvider
) -> Iterator[tuple[Services, Callable[[], Client]]]:
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_password=PASSWORD,
        demo=False,
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id="belvedere",
        oidc_client_secret="belvedere-secret",
        oidc_label="Example SSO",
        oidc_role_mapping="bi-admins=admin,analysts=editor",
    )
    services = Services(settings)
    services.first_start()
    with app_clients(services) as client:
        yield services, client
    services.close()


def sign_in(client: Client, provider: OidcProvider, sub: str, next_path: str = "/sqllab") -> str:
    """Sign in through the provider as ``sub``; returns where Belvedere sends the browser."""
    start = client.get(f"/auth/oidc/start?next={next_path}", follow_redirects=False)
    assert start.status_code == 303, start.text
    back = provider.consent(start.headers["location"], sub)
    done = client.get(local(back), follow_redirects=False)
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


def test_login_page_offers_single_sign_on(sso: tuple[Services, Callable[[], Client]]) -> None:
    _, client = sso
    page = client().get("/login?next=/audit", headers={"accept": "text/html"}).text
    assert "Sign in with Example SSO" in page
    assert 'href="/auth/oidc/start?next=%2Faudit"' in page


def test_first_sign_in_creates_the_user_with_mapped_role(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider
) -> None:
    services, client = sso
    alice = client()
    assert sign_in(alice, oidc_provider, "alice") == "/sqllab"
    me = alice.get("/api/v1/auth/me").json()["user"]
    assert (me["username"], me["email"], me["role"], me["single_sign_on"]) == (
        "alice@example.com",
        "alice@example.com",
        "editor",
        True,
    )
    carol = client()
    sign_in(carol, oidc_provider, "carol")
    assert carol.get("/api/v1/auth/me").json()["user"]["role"] == "admin"
    oidc_provider.set_claims("dave", {"email": "dave@example.com", "groups": []})
    dave = client()
    sign_in(dave, oidc_provider, "dave")
    assert dave.get("/api/v1/auth/me").json()["user"]["role"] == "viewer"  # the default role
    again = client()
    sign_in(again, oidc_provider, "alice")
    assert [u.username for u in services.users.list()].count("alice@example.com") == 1


def test_next_goes_to_local_paths_only(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider
) -> None:
    _, client = sso
    assert sign_in(client(), oidc_provider, "bob", "https://evil.example/steal") == "/"
    assert sign_in(client(), oidc_provider, "bob", "//evil.example") == "/"
    assert sign_in(client(), oidc_provider, "bob", "/connections") == "/connections"


def test_state_is_checked_and_single_use(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider
) -> None:
    _, client = sso
    browser = client()
    start = browser.get("/auth/oidc/start", follow_redirects=False).headers["location"]
    back = local(oidc_provider.consent(start, "bob"))
    assert browser.get(back, follow_redirects=False).status_code == 303
    replay = client().get(back, follow_redirects=False)
    assert replay.status_code == 403
    assert "expired or was not started here" in replay.text
    forged = client().get("/auth/oidc/callback?state=forged&code=abc", follow_redirects=False)
    assert forged.status_code == 403
    assert "belvedere_session" not in forged.headers.get("set-cookie", "")


def test_a_callback_opened_in_another_browser_signs_nobody_in(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider
) -> None:
    # Login CSRF: mallory signs in at the provider, keeps the link back, and gets alice's
    # browser to open it; alice must not end up working (and authorizing) as mallory.
    _, client = sso
    mallory = client()
    start = mallory.get("/auth/oidc/start", follow_redirects=False).headers["location"]
    back = local(oidc_provider.consent(start, "mallory"))
    alice = client()
    opened = alice.get(back, follow_redirects=False)
    assert opened.status_code == 403
    assert "expired or was not started here" in opened.text
    assert alice.get("/api/v1/auth/me").status_code == 401
    # The flow was not spent: mallory's own browser still finishes it.
    assert mallory.get(back, follow_redirects=False).status_code == 303
    assert mallory.get("/api/v1/auth/me").json()["user"]["username"].startswith("mallory@")


def test_nonce_is_checked(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider
) -> None:
    _, client = sso
    browser = client()
    first = browser.get("/auth/oidc/start", follow_redirects=False).headers["location"]
    second = browser.get("/auth/oidc/start", follow_redirects=False).headers["location"]
    code_of_first = local(oidc_provider.consent(first, "bob")).split("code=")[1].split("&")[0]
    state_of_second = local(oidc_provider.consent(second, "bob")).split("state=")[1].split("&")[0]
    # A valid state with a code minted for another flow (another nonce) is refused.
    mixed = browser.get(
        f"/auth/oidc/callback?state={state_of_second}&code={code_of_first}", follow_redirects=False
    )
    assert mixed.status_code == 403
    assert "could not be verified" in mixed.text


def test_declined_sign_in_reads_clearly(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider
) -> None:
    _, client = sso
    browser = client()
    start = browser.get("/auth/oidc/start", follow_redirects=False).headers["location"]
    declined = browser.get(local(oidc_provider.deny(start)), follow_redirects=False)
    assert declined.status_code == 400
    assert "Sign-in was not completed" in declined.text


def test_session_changes_at_sign_in_and_ends_at_sign_out(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider
) -> None:
    _, client = sso
    browser = client().login()  # signed in as the local admin first
    before = browser.cookies.get("belvedere_session")
    sign_in(browser, oidc_provider, "bob")
    after = browser.cookies.get("belvedere_session")
    assert after and after != before
    stale = client()
    stale.cookies.set("belvedere_session", before)
    assert stale.get("/api/v1/auth/me").status_code == 401  # the old session ended
    assert browser.post("/api/v1/auth/logout").status_code == 204
    replay = client()
    replay.cookies.set("belvedere_session", after)
    assert replay.get("/api/v1/auth/me").status_code == 401


def test_deactivated_and_foreign_domain_users_cannot_sign_in(
    sso: tuple[Services, Callable[[], Client]], oidc_provider: OidcProvider
) -> None:
    services, client = sso
    sign_in(client(), oidc_provider, "bob")
    bob = services.users.by_username("bob@example.com")
    assert bob is not None
    services.users.update(bob.id, is_active=False)
    browser = client()
    start = browser.get("/auth/oidc/start", follow_redirects=False).headers["location"]
    refused = browser.get(local(oidc_provider.consent(start, "bob")), follow_redirects=False)
    assert (refused.status_code, "deactivated" in refused.text) == (403, True)
