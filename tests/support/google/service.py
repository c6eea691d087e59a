"""The Google stand-in's state and knobs (:class:`GoogleService`): its URLs, the tokens it
handed out, what it recorded, and what a test sets (who signs in, refusals, failures).

Access tokens are opaque; :meth:`GoogleService.principal_of` tells whom one belongs to, in the
BigQuery emulator's caller form (``user:alice@example.com``, ``serviceAccount:...``), which is
what the identity proxies (:mod:`tests.support.identity`) forward. Tokens expire after
``expires_in`` (:attr:`GoogleService.access_token_seconds`), or at once with
:meth:`GoogleService.expire`. :meth:`GoogleService.reset` forgets every token, code, recording
and setting a test made.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from tests.support.google.constants import BIGQUERY_SCOPE, CLIENT_ID, CLIENT_SECRET, GENERATE
from tests.support.google.keys import SigningKey
from tests.support.google.records import (
    AccessToken,
    Failure,
    GoogleRequest,
    Impersonation,
    Kind,
    OAuthClient,
    RefreshToken,
    State,
    user_principal,
)


class GoogleService:
    """The running stand-in: its URLs, what it recorded, and the knobs a test turns.

    Thread-safe: the test thread and the server thread share it.
    """

    def __init__(self, url: str = "") -> None:
        self.url = url
        self.lock = threading.Condition()
        self.state = State()
        """Everything it keeps; replaced whole by :meth:`reset`: hold :attr:`lock` to touch it."""
        self._add_default_client()
        self.errors: list[BaseException] = []
        """Exceptions raised inside the service's handlers (a bug of the stand-in)."""
        self.key = SigningKey()
        """The key its ID tokens are signed with."""

    def _add_default_client(self) -> None:
        self.state.clients[CLIENT_ID] = OAuthClient(CLIENT_ID, CLIENT_SECRET)

    # --- URLs ---------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        """The ``iss`` of its ID tokens (its base URL)."""
        return self.url

    @property
    def auth_uri(self) -> str:
        """The authorization endpoint (Google's ``https://accounts.google.com/o/oauth2/v2/auth``)."""
        return f"{self.url}/o/oauth2/v2/auth"

    @property
    def token_uri(self) -> str:
        """The token endpoint (Google's ``https://oauth2.googleapis.com/token``)."""
        return f"{self.url}/token"

    @property
    def revoke_uri(self) -> str:
        return f"{self.url}/revoke"

    @property
    def userinfo_uri(self) -> str:
        return f"{self.url}/oauth2/v3/userinfo"

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    @property
    def jwks_uri(self) -> str:
        return f"{self.url}/oauth2/v3/certs"

    @property
    def pem_certs_uri(self) -> str:
        """The signing key as ``{kid: PEM certificate}`` (Google's ``/oauth2/v1/certs``), the
        format google-auth's ``id_token.verify_token`` reads without PyJWT."""
        return f"{self.url}/oauth2/v1/certs"

    @property
    def iam_credentials_url(self) -> str:
        """The IAM Credentials API's base (Google's ``https://iamcredentials.googleapis.com``)."""
        return self.url

    def generate_access_token_url(self, email: str) -> str:
        """The full generateAccessToken URL for a service account (google-auth's
        ``impersonated_credentials.Credentials(iam_endpoint_override=...)`` takes this)."""
        return f"{self.url}/v1/projects/-/serviceAccounts/{email}{GENERATE}"

    # --- knobs ----------------------------------------------------------------------------------

    @property
    def next_user(self) -> str | None:
        """The email the authorization endpoint signs in when the request has no
        ``login_hint``; stays until changed (``None`` after :meth:`reset`)."""
        return self.state.next_user

    @next_user.setter
    def next_user(self, email: str | None) -> None:
        with self.lock:
            self.state.next_user = email

    @property
    def deny_next(self) -> bool:
        """When set, the next authorization redirects back with ``error=access_denied`` (the
        user clicked Cancel); it then unsets itself."""
        return self.state.deny_next

    @deny_next.setter
    def deny_next(self, value: bool) -> None:
        with self.lock:
            self.state.deny_next = value

    @property
    def access_token_seconds(self) -> int:
        """``expires_in`` of the access tokens it hands out (default 3600; generateAccessToken
        gives the smaller of this and the requested lifetime). Note that google-auth refreshes
        any token with less than about 4 minutes left before each use."""
        return self.state.access_token_seconds

    @access_token_seconds.setter
    def access_token_seconds(self, seconds: int) -> None:
        with self.lock:
            self.state.access_token_seconds = seconds

    @property
    def refresh_only_on_first_consent(self) -> bool:
        """Like Google: give a refresh token only on a user's first consent to a client, unless
        the request says ``prompt=consent`` (default off: every offline grant gets one)."""
        return self.state.refresh_only_on_first_consent

    @refresh_only_on_first_consent.setter
    def refresh_only_on_first_consent(self, value: bool) -> None:
        with self.lock:
            self.state.refresh_only_on_first_consent = value

    def add_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str] | None = None
    ) -> OAuthClient:
        """Register an OAuth client; ``redirect_uris=None`` accepts any redirect URI."""
        client = OAuthClient(
            client_id, client_secret, None if redirect_uris is None else tuple(redirect_uris)
        )
        with self.lock:
            self.state.clients[client_id] = client
        return client

    def set_groups(self, principal: str, groups: list[str]) -> None:
        """Groups a principal belongs to, e.g. ``set_groups("user:carol@example.com",
        ["group:bi-admins@example.com"])``: the identity proxies send them as
        ``X-Bqemu-Groups``."""
        with self.lock:
            self.state.groups[principal] = tuple(groups)

    def groups_of(self, principal: str) -> tuple[str, ...]:
        with self.lock:
            return self.state.groups.get(principal, ())

    def deny_impersonation(self, target: str, caller: str | None = None) -> None:
        """Refuse generateAccessToken for service account ``target`` (an email) with Google's
        403, to every caller or only to ``caller`` (a principal)."""
        with self.lock:
            self.state.denied.add((caller, target))

    def fail(self, endpoint: str, status: int = 503, body: Any = None, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``endpoint`` (``token``, ``authorize``,
        ``generateAccessToken``, ...) with ``status`` and a JSON ``body`` instead."""
        body = body if body is not None else {"error": "backend_error", "error_description": ""}
        with self.lock:
            self.state.failures.append(Failure(endpoint, status, body, times))

    # --- tokens ---------------------------------------------------------------------------------

    def token_info(self, token: str) -> AccessToken | None:
        """What the service knows of an access token (expired and revoked ones included)."""
        with self.lock:
            found = self.state.access.get(token)
            return replace(found) if found else None

    def principal_of(self, token: str) -> str | None:
        """Whom a valid (known, unexpired, unrevoked) access token belongs to, as the emulator's
        caller string; ``None`` for any other token."""
        info = self.token_info(token)
        return info.principal if info is not None and info.valid else None

    def access_tokens(self) -> list[AccessToken]:
        """Every access token handed out since the last :meth:`reset`, oldest first."""
        with self.lock:
            return [replace(t) for t in self.state.access.values()]

    def refresh_tokens(self) -> list[RefreshToken]:
        """Every refresh token handed out since the last :meth:`reset`, oldest first."""
        with self.lock:
            return [replace(t) for t in self.state.refresh.values()]

    def issue_token(
        self,
        principal: str,
        scopes: tuple[str, ...] = (BIGQUERY_SCOPE,),
        seconds: int | None = None,
    ) -> str:
        """Hand out an access token directly, without any flow (for tests of the proxies)."""
        kind: Kind = "user" if principal.startswith("user:") else "service_account"
        with self.lock:
            return self.new_access(principal, scopes, kind, seconds=seconds).token

    def issue_refresh_token(
        self,
        email: str,
        scopes: tuple[str, ...] = (BIGQUERY_SCOPE,),
        client_id: str = CLIENT_ID,
    ) -> str:
        """Hand out a refresh token directly, as if ``email`` had authorized ``client_id``
        (to test refreshing without the redirect dance)."""
        grant = RefreshToken(
            token="1//0test-" + secrets.token_urlsafe(32),
            email=email,
            client_id=client_id,
            scopes=scopes,
        )
        with self.lock:
            self.state.refresh[grant.token] = grant
        return grant.token

    def expire(self, token: str) -> None:
        """Make an access token expired now (no waiting)."""
        with self.lock:
            self.state.access[token].expires_at = time.time() - 1

    def expire_all(self) -> None:
        """Make every access token handed out so far expired."""
        with self.lock:
            for info in self.state.access.values():
                info.expires_at = time.time() - 1

    def revoke(self, token: str, *, keep_access_tokens: bool = False) -> None:
        """Revoke a refresh token (its next use answers ``invalid_grant``) and, unless
        ``keep_access_tokens``, the access tokens minted from it, as Google does; or an access
        token, with the refresh token behind it if any (as Google's ``/revoke`` does)."""
        with self.lock:
            self.revoke_locked(token, keep_access_tokens=keep_access_tokens)

    def revoke_user(self, email: str) -> None:
        """Revoke every refresh and access token of a user (they removed the app's access)."""
        with self.lock:
            for refresh in self.state.refresh.values():
                if refresh.email == email:
                    self.revoke_locked(refresh.token, keep_access_tokens=False)
            for access in self.state.access.values():
                if access.principal == user_principal(email):
                    access.revoked = True

    def revoke_locked(self, token: str, *, keep_access_tokens: bool) -> bool:
        """:meth:`revoke`, the lock held; whether the token was known."""
        refresh = self.state.refresh.get(token)
        if refresh is not None:
            refresh.revoked = True
            if not keep_access_tokens:
                for access in self.state.access.values():
                    if access.refresh_token == token:
                        access.revoked = True
            return True
        found = self.state.access.get(token)
        if found is None:
            return False
        found.revoked = True
        if found.refresh_token is not None:  # Google revokes the grant behind it too
            self.revoke_locked(found.refresh_token, keep_access_tokens=keep_access_tokens)
        return True

    def new_access(
        self,
        principal: str,
        scopes: tuple[str, ...],
        kind: Kind,
        *,
        seconds: int | None = None,
        client_id: str | None = None,
        refresh_token: str | None = None,
    ) -> AccessToken:
        """Mint and keep an access token (the lock held)."""
        seconds = self.state.access_token_seconds if seconds is None else seconds
        info = AccessToken(
            token="ya29.test-" + secrets.token_urlsafe(24),
            principal=principal,
            scopes=scopes,
            expires_at=time.time() + seconds,
            kind=kind,
            client_id=client_id,
            refresh_token=refresh_token,
        )
        self.state.access[info.token] = info
        return info

    # --- recordings -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[GoogleRequest]:
        """Every request received since the last :meth:`reset`, oldest first."""
        with self.lock:
            return [replace(r) for r in self.state.requests]

    def requests_to(self, endpoint: str) -> list[GoogleRequest]:
        """The requests to one endpoint, e.g. ``requests_to("token")``."""
        return [r for r in self.requests if r.endpoint == endpoint]

    @property
    def impersonations(self) -> list[Impersonation]:
        """generateAccessToken calls that reached the permission check, oldest first."""
        with self.lock:
            return [replace(i) for i in self.state.impersonations]

    @property
    def grants(self) -> list[dict[str, Any]]:
        """Claims of every JWT-bearer assertion received, with the token handed out under
        ``token``."""
        with self.lock:
            return [dict(g) for g in self.state.grants]

    def tokens(self) -> list[str]:
        """The access tokens handed out for JWT-bearer assertions (service-account keys)."""
        return [g["token"] for g in self.grants]

    def wait_for(
        self, predicate: Callable[[GoogleRequest], bool], timeout: float = 10.0
    ) -> GoogleRequest:
        """Wait until a request matching ``predicate`` has been answered; returns the first."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for request in self.state.requests:
                    if request.status is not None and predicate(request):
                        return replace(request)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching request within {timeout} s")
                self.lock.wait(left)

    def reset(self) -> None:
        """Forget every token, code, recording, group, refusal, failure and setting; only the
        default client stays registered."""
        with self.lock:
            self.state = State()
            self._add_default_client()
            self.errors.clear()

    # --- a browser's part -----------------------------------------------------------------------

    def consent(self, authorization_url: str, user: str | None = None) -> str:
        """Play the browser: open ``authorization_url`` (as the user ``user``, else
        :attr:`next_user`) and return where the service redirects to (the app's callback with
        ``code`` and ``state``). Raises ``AssertionError`` with the answer if it does not
        redirect."""
        if user is not None:
            self.next_user = user
        response = httpx.get(authorization_url, follow_redirects=False, timeout=10)
        assert response.status_code == 302, (response.status_code, response.text)
        return response.headers["location"]

    # --- ID tokens --------------------------------------------------------------------------------

    def id_token(self, email: str, audience: str, nonce: str | None = None) -> str:
        """An ID token for ``email`` signed by :attr:`key`."""
        seconds = self.state.access_token_seconds
        return self.key.id_token(self.issuer, email, audience, seconds, nonce)

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self.key.jwk)]}
