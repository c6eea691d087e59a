"""An OpenID Connect provider for sign-in tests: ``oidc-provider-mock`` (PyPI) in a thread.

It stands in for the identity provider Belvedere's users sign in with (Google, Okta, ...):
discovery at ``{issuer}/.well-known/openid-configuration``, authorization, token, userinfo and
JWKS endpoints, RS256 ID tokens with the users' claims (custom ones such as ``groups``
included; ``email`` only with the ``email`` scope). Any client id and secret are accepted.

It does NOT enforce PKCE (a wrong ``code_verifier`` still gets tokens): PKCE is tested against
the Google stand-in (:mod:`tests.support.google`). Its issuer comes from the request's Host
header: use :attr:`OidcProvider.issuer` (``http://localhost:PORT``) everywhere.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

ALICE = "alice"
BOB = "bob"
CAROL = "carol"
USERS: Mapping[str, Mapping[str, Any]] = {
    ALICE: {
        "email": "alice@example.com",
        "email_verified": True,
        "name": "Alice Archer",
        "groups": ["analysts"],
    },
    BOB: {
        "email": "bob@example.com",
        "email_verified": True,
        "name": "Bob Baker",
        "groups": ["analysts"],
    },
    CAROL: {
        "email": "carol@example.com",
        "email_verified": True,
        "name": "Carol Cooper",
        "groups": ["bi-admins"],
    },
}
"""``sub`` → claims of the users the provider knows from the start."""


@dataclass
class OidcProvider:
    """A running provider."""

    issuer: str
    """``http://localhost:PORT``; also its base URL."""
    users: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: dict(USERS))

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.issuer}/oauth2/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/oauth2/token"

    def consent(self, authorization_url: str, sub: str) -> str:
        """Play the browser: sign in as ``sub`` at ``authorization_url`` (the URL the app sent
        the user to) and return where the provider redirects (the app's callback with ``code``
        and ``state``)."""
        response = httpx.post(authorization_url, data={"sub": sub}, timeout=10)
        assert response.status_code == 302, (response.status_code, response.text[:500])
        return response.headers["location"]

    def deny(self, authorization_url: str) -> str:
        """Play the browser: click "deny"; returns the redirect (``error=access_denied``)."""
        response = httpx.post(authorization_url, data={"action": "deny"}, timeout=10)
        assert response.status_code == 302, (response.status_code, response.text[:500])
        return response.headers["location"]

    def set_claims(self, sub: str, claims: Mapping[str, Any]) -> None:
        """Replace a user's claims (or add a user); :meth:`reset` restores the defaults."""
        response = httpx.put(f"{self.issuer}/users/{sub}", json=dict(claims), timeout=10)
        response.raise_for_status()

    def revoke_tokens(self, sub: str) -> None:
        """Revoke every access and refresh token of a user."""
        response = httpx.post(f"{self.issuer}/users/{sub}/revoke-tokens", timeout=10)
        response.raise_for_status()

    def reset(self) -> None:
        """Restore the users' claims and revoke their tokens."""
        for sub, claims in self.users.items():
            self.set_claims(sub, claims)
            self.revoke_tokens(sub)


@contextmanager
def run_oidc_provider(users: Mapping[str, Mapping[str, Any]] = USERS) -> Iterator[OidcProvider]:
    """Run the provider on a free loopback port until the block ends."""
    with warnings.catch_warnings():
        import authlib.deprecate  # noqa: F401 (its import says simplefilter("always", ...))

        warnings.simplefilter("ignore")  # so this comes after: silence it while importing
        import oidc_provider_mock

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    known = [oidc_provider_mock.User(sub=sub, claims=dict(claims)) for sub, claims in users.items()]
    with oidc_provider_mock.run_server_in_thread(user_claims=known) as server:
        yield OidcProvider(issuer=f"http://localhost:{server.server_port}", users=users)
