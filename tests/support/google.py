"""A stand-in for Google's OAuth2, OpenID Connect and IAM Credentials endpoints, on loopback.

One Starlette app (uvicorn in a thread) that records every request and answers, in Google's
shapes:

- ``GET /o/oauth2/v2/auth``, the authorization endpoint: checks the client, the redirect URI,
  ``response_type=code``, the scopes, ``state`` and a PKCE ``S256`` challenge; "signs in" the user
  the test chose (``login_hint``, else :attr:`GoogleService.next_user`) and redirects back with
  ``code`` and ``state``, or with ``error=access_denied`` when :attr:`GoogleService.deny_next`.
- ``POST /token``: the ``authorization_code`` grant (client secret, redirect URI, one-time codes,
  and PKCE enforced: the ``code_verifier`` must hash to the challenge), the ``refresh_token``
  grant (``invalid_grant`` once revoked), and the JWT-bearer grant of service-account keys.
- ``POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken`` (IAM Credentials API): the
  caller's bearer token must be valid; a target can be refused with Google's 403.
- ``POST /revoke``, ``GET /oauth2/v3/userinfo``, ``/.well-known/openid-configuration`` and
  ``/oauth2/v3/certs`` (JWKS) and ``/oauth2/v1/certs`` (PEM): ID tokens are RS256 JWTs signed by
  a key of the service's own.

Access tokens are opaque; :meth:`GoogleService.principal_of` tells whom one belongs to, in the
BigQuery emulator's caller form (``user:alice@example.com``, ``serviceAccount:...``), which is
what the identity proxies (``tests/support/identity.py``) forward. Tokens expire after
``expires_in`` (:attr:`GoogleService.access_token_seconds`), or at once with
:meth:`GoogleService.expire`. :meth:`GoogleService.reset` forgets every token, code, recording
and setting a test made.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt
from google.auth import jwt as google_jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.live import live_server

BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery"
BIGQUERY_READONLY_SCOPE = "https://www.googleapis.com/auth/bigquery.readonly"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
CLOUD_PLATFORM_READONLY_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"
IAM_SCOPE = "https://www.googleapis.com/auth/iam"
KNOWN_SCOPES = frozenset(
    {
        "openid",
        "email",
        "profile",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
        BIGQUERY_SCOPE,
        BIGQUERY_READONLY_SCOPE,
        CLOUD_PLATFORM_SCOPE,
        CLOUD_PLATFORM_READONLY_SCOPE,
        IAM_SCOPE,
        "https://www.googleapis.com/auth/devstorage.read_only",
        "https://www.googleapis.com/auth/drive.readonly",
    }
)
"""Scopes the authorization endpoint accepts (others: ``invalid_scope``, as Google answers)."""

CLIENT_ID = "belvedere-test.apps.googleusercontent.com"
"""The OAuth client registered from the start (any redirect URI; see :meth:`add_client`)."""
CLIENT_SECRET = "belvedere-test-secret"
PROJECT = "test-project"

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CODE_SECONDS = 600  # Google's authorization codes live about ten minutes
MAX_LIFETIME_SECONDS = 3600  # generateAccessToken's limit without the org-policy extension

_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
_LIFETIME = re.compile(r"^(\d+(?:\.\d+)?)s$")
_GENERATE = ":generateAccessToken"

Kind = Literal["user", "service_account", "impersonated"]
T = TypeVar("T")


def pkce_pair() -> tuple[str, str]:
    """A fresh PKCE ``(code_verifier, code_challenge)`` pair, the challenge being S256."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    """The S256 code challenge of a code verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def user_principal(email: str) -> str:
    return f"user:{email}"


def service_account_principal(email: str) -> str:
    return f"serviceAccount:{email}"


def _subject_id(email: str) -> str:
    """A stable numeric Google account id for an email (the ``sub`` claim)."""
    return "1" + str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16)).zfill(20)


@dataclass
class OAuthClient:
    """An OAuth client of the stand-in (what Google Cloud's console would register)."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] | None = None
    """Exact redirect URIs allowed; ``None`` accepts any."""


@dataclass
class AccessToken:
    """An access token the service handed out."""

    token: str
    principal: str
    """``user:EMAIL`` or ``serviceAccount:EMAIL``."""
    scopes: tuple[str, ...]
    expires_at: float
    """``time.time()`` after which it is refused."""
    kind: Kind
    """``user`` (authorization code or refresh), ``service_account`` (JWT-bearer grant of a
    key) or ``impersonated`` (generateAccessToken)."""
    client_id: str | None = None
    refresh_token: str | None = None
    """The refresh token it came from (user tokens)."""
    revoked: bool = False

    @property
    def email(self) -> str:
        return self.principal.split(":", 1)[1]

    @property
    def valid(self) -> bool:
        return not self.revoked and time.time() < self.expires_at


@dataclass
class RefreshToken:
    """A refresh token the service handed out (``access_type=offline``)."""

    token: str
    email: str
    client_id: str
    scopes: tuple[str, ...]
    revoked: bool = False
    uses: int = 0
    """How many times it was redeemed successfully."""


@dataclass
class Impersonation:
    """One generateAccessToken call that reached the permission check."""

    caller: str
    """The principal of the bearer token that asked."""
    target: str
    """The service account's email."""
    scopes: tuple[str, ...]
    lifetime: str | None
    status: int
    """200, or the refusal's status (403)."""
    token: str | None
    """The access token handed out, if any."""


@dataclass
class GoogleRequest:
    """One request the service received, and what it answered."""

    endpoint: str
    """``authorize``, ``token``, ``generateAccessToken``, ``revoke``, ``userinfo``,
    ``discovery``, ``jwks``, or ``METHOD /path`` for anything else."""
    method: str
    path: str
    params: dict[str, str]
    """Query string parameters."""
    form: dict[str, str]
    """Form fields of a form-encoded body."""
    json: Any
    """A JSON body, parsed; else ``None``."""
    headers: dict[str, str]
    """Lower-case names."""
    time: float
    """``time.monotonic()`` when it arrived."""
    status: int | None = None
    response: Any = None
    """The JSON answered, or for a redirect ``{"location": ...}``."""

    @property
    def grant_type(self) -> str | None:
        return self.form.get("grant_type")


@dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    email: str
    challenge: str
    offline: bool
    nonce: str | None
    issued: float
    used: bool = False


@dataclass
class _Failure:
    endpoint: str
    status: int
    body: Any
    times: int


@dataclass
class _State:
    next_user: str | None = None
    deny_next: bool = False
    access_token_seconds: int = 3600
    refresh_only_on_first_consent: bool = False
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, RefreshToken] = field(default_factory=dict)
    consented: set[tuple[str, str]] = field(default_factory=set)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    denied: set[tuple[str | None, str]] = field(default_factory=set)
    failures: list[_Failure] = field(default_factory=list)
    requests: list[GoogleRequest] = field(default_factory=list)
    impersonations: list[Impersonation] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)


class GoogleService:
    """The running stand-in: its URLs, what it recorded, and the knobs a test turns.

    Thread-safe: the test thread and the server thread share it.
    """

    def __init__(self, url: str = "") -> None:
        self.url = url
        self.lock = threading.Condition()
        self._state = _State()
        self._add_default_client()
        self.errors: list[BaseException] = []
        """Exceptions raised inside the service's handlers (a bug of the stand-in)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._key_id = secrets.token_hex(8)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._signer = crypt.RSASigner.from_string(pem, key_id=self._key_id)
        self._certificate = _self_signed(key)
        numbers = key.public_key().public_numbers()
        self._jwk = {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self._key_id,
            "n": _b64int(numbers.n),
            "e": _b64int(numbers.e),
        }

    def _add_default_client(self) -> None:
        self._state.clients[CLIENT_ID] = OAuthClient(CLIENT_ID, CLIENT_SECRET)

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
        return f"{self.url}/v1/projects/-/serviceAccounts/{email}{_GENERATE}"

    # --- knobs ----------------------------------------------------------------------------------

    @property
    def next_user(self) -> str | None:
        """The email the authorization endpoint signs in when the request has no
        ``login_hint``; stays until changed (``None`` after :meth:`reset`)."""
        return self._state.next_user

    @next_user.setter
    def next_user(self, email: str | None) -> None:
        with self.lock:
            self._state.next_user = email

    @property
    def deny_next(self) -> bool:
        """When set, the next authorization redirects back with ``error=access_denied`` (the
        user clicked Cancel); it then unsets itself."""
        return self._state.deny_next

    @deny_next.setter
    def deny_next(self, value: bool) -> None:
        with self.lock:
            self._state.deny_next = value

    @property
    def access_token_seconds(self) -> int:
        """``expires_in`` of the access tokens it hands out (default 3600; generateAccessToken
        gives the smaller of this and the requested lifetime). Note that google-auth refreshes
        any token with less than about 4 minutes left before each use."""
        return self._state.access_token_seconds

    @access_token_seconds.setter
    def access_token_seconds(self, seconds: int) -> None:
        with self.lock:
            self._state.access_token_seconds = seconds

    @property
    def refresh_only_on_first_consent(self) -> bool:
        """Like Google: give a refresh token only on a user's first consent to a client, unless
        the request says ``prompt=consent`` (default off: every offline grant gets one)."""
        return self._state.refresh_only_on_first_consent

    @refresh_only_on_first_consent.setter
    def refresh_only_on_first_consent(self, value: bool) -> None:
        with self.lock:
            self._state.refresh_only_on_first_consent = value

    def add_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str] | None = None
    ) -> OAuthClient:
        """Register an OAuth client; ``redirect_uris=None`` accepts any redirect URI."""
        client = OAuthClient(
            client_id, client_secret, None if redirect_uris is None else tuple(redirect_uris)
        )
        with self.lock:
            self._state.clients[client_id] = client
        return client

    def set_groups(self, principal: str, groups: list[str]) -> None:
        """Groups a principal belongs to, e.g. ``set_groups("user:carol@example.com",
        ["group:bi-admins@example.com"])``: the identity proxies send them as
        ``X-Bqemu-Groups``."""
        with self.lock:
            self._state.groups[principal] = tuple(groups)

    def groups_of(self, principal: str) -> tuple[str, ...]:
        with self.lock:
            return self._state.groups.get(principal, ())

    def deny_impersonation(self, target: str, caller: str | None = None) -> None:
        """Refuse generateAccessToken for service account ``target`` (an email) with Google's
        403, to every caller or only to ``caller`` (a principal)."""
        with self.lock:
            self._state.denied.add((caller, target))

    def fail(self, endpoint: str, status: int = 503, body: Any = None, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``endpoint`` (``token``, ``authorize``,
        ``generateAccessToken``, ...) with ``status`` and a JSON ``body`` instead."""
        body = body if body is not None else {"error": "backend_error", "error_description": ""}
        with self.lock:
            self._state.failures.append(_Failure(endpoint, status, body, times))

    # --- tokens ---------------------------------------------------------------------------------

    def token_info(self, token: str) -> AccessToken | None:
        """What the service knows of an access token (expired and revoked ones included)."""
        with self.lock:
            found = self._state.access.get(token)
            return replace(found) if found else None

    def principal_of(self, token: str) -> str | None:
        """Whom a valid (known, unexpired, unrevoked) access token belongs to, as the emulator's
        caller string; ``None`` for any other token."""
        info = self.token_info(token)
        return info.principal if info is not None and info.valid else None

    def access_tokens(self) -> list[AccessToken]:
        """Every access token handed out since the last :meth:`reset`, oldest first."""
        with self.lock:
            return [replace(t) for t in self._state.access.values()]

    def refresh_tokens(self) -> list[RefreshToken]:
        """Every refresh token handed out since the last :meth:`reset`, oldest first."""
        with self.lock:
            return [replace(t) for t in self._state.refresh.values()]

    def issue_token(
        self,
        principal: str,
        scopes: tuple[str, ...] = (BIGQUERY_SCOPE,),
        seconds: int | None = None,
    ) -> str:
        """Hand out an access token directly, without any flow (for tests of the proxies)."""
        kind: Kind = "user" if principal.startswith("user:") else "service_account"
        with self.lock:
            return self._new_access(principal, scopes, kind, seconds=seconds).token

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
            self._state.refresh[grant.token] = grant
        return grant.token

    def expire(self, token: str) -> None:
        """Make an access token expired now (no waiting)."""
        with self.lock:
            self._state.access[token].expires_at = time.time() - 1

    def expire_all(self) -> None:
        """Make every access token handed out so far expired."""
        with self.lock:
            for info in self._state.access.values():
                info.expires_at = time.time() - 1

    def revoke(self, token: str, *, keep_access_tokens: bool = False) -> None:
        """Revoke a refresh token (its next use answers ``invalid_grant``) and, unless
        ``keep_access_tokens``, the access tokens minted from it, as Google does; or an access
        token, with the refresh token behind it if any (as Google's ``/revoke`` does)."""
        with self.lock:
            self._revoke(token, keep_access_tokens=keep_access_tokens)

    def revoke_user(self, email: str) -> None:
        """Revoke every refresh and access token of a user (they removed the app's access)."""
        with self.lock:
            for refresh in self._state.refresh.values():
                if refresh.email == email:
                    self._revoke(refresh.token, keep_access_tokens=False)
            for access in self._state.access.values():
                if access.principal == user_principal(email):
                    access.revoked = True

    def _revoke(self, token: str, *, keep_access_tokens: bool) -> bool:
        refresh = self._state.refresh.get(token)
        if refresh is not None:
            refresh.revoked = True
            if not keep_access_tokens:
                for access in self._state.access.values():
                    if access.refresh_token == token:
                        access.revoked = True
            return True
        found = self._state.access.get(token)
        if found is None:
            return False
        found.revoked = True
        if found.refresh_token is not None:  # Google revokes the grant behind it too
            self._revoke(found.refresh_token, keep_access_tokens=keep_access_tokens)
        return True

    def _new_access(
        self,
        principal: str,
        scopes: tuple[str, ...],
        kind: Kind,
        *,
        seconds: int | None = None,
        client_id: str | None = None,
        refresh_token: str | None = None,
    ) -> AccessToken:
        seconds = self._state.access_token_seconds if seconds is None else seconds
        info = AccessToken(
            token="ya29.test-" + secrets.token_urlsafe(24),
            principal=principal,
            scopes=scopes,
            expires_at=time.time() + seconds,
            kind=kind,
            client_id=client_id,
            refresh_token=refresh_token,
        )
        self._state.access[info.token] = info
        return info

    # --- recordings -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[GoogleRequest]:
        """Every request received since the last :meth:`reset`, oldest first."""
        with self.lock:
            return [replace(r) for r in self._state.requests]

    def requests_to(self, endpoint: str) -> list[GoogleRequest]:
        """The requests to one endpoint, e.g. ``requests_to("token")``."""
        return [r for r in self.requests if r.endpoint == endpoint]

    @property
    def impersonations(self) -> list[Impersonation]:
        """generateAccessToken calls that reached the permission check, oldest first."""
        with self.lock:
            return [replace(i) for i in self._state.impersonations]

    @property
    def grants(self) -> list[dict[str, Any]]:
        """Claims of every JWT-bearer assertion received, with the token handed out under
        ``token``."""
        with self.lock:
            return [dict(g) for g in self._state.grants]

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
                for request in self._state.requests:
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
            self._state = _State()
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
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "azp": audience,
            "aud": audience,
            "sub": _subject_id(email),
            "email": email,
            "email_verified": True,
            "iat": now,
            "exp": now + self._state.access_token_seconds,
        }
        if nonce:
            claims["nonce"] = nonce
        signed: bytes = google_jwt.encode(self._signer, claims)  # type: ignore[no-untyped-call]
        return signed.decode("ascii")

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self._jwk)]}


def _self_signed(key: rsa.RSAPrivateKey) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "google-stand-in")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now.replace(year=now.year - 1))
        .not_valid_after(now.replace(year=now.year + 1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _b64int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"cache-control": "no-store"},
    )


def _api_error(code: int, status: str, message: str, **extra: Any) -> JSONResponse:
    """An error in Google APIs' JSON shape (IAM Credentials, userinfo)."""
    return JSONResponse(
        {"error": {"code": code, "message": message, "status": status, **extra}},
        status_code=code,
    )


INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INSUFFICIENT_SCOPES = "Request had insufficient authentication scopes."


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _endpoint(method: str, path: str) -> str:
    if path == "/o/oauth2/v2/auth":
        return "authorize"
    if path == "/token":
        return "token"
    if path == "/revoke":
        return "revoke"
    if path == "/oauth2/v3/userinfo":
        return "userinfo"
    if path == "/.well-known/openid-configuration":
        return "discovery"
    if path == "/oauth2/v3/certs":
        return "jwks"
    if path == "/oauth2/v1/certs":
        return "certs"
    if path.startswith("/v1/projects/") and path.endswith(_GENERATE):
        return "generateAccessToken"
    return f"{method} {path}"


def _app(service: GoogleService) -> Starlette:
    def state() -> _State:
        return service._state  # looked up each time: reset() swaps it

    Handler = Callable[[Request], Awaitable[Response]]

    def recorded(handler: Handler) -> Handler:
        async def wrapper(request: Request) -> Response:
            body = await request.body()
            form: dict[str, str] = {}
            parsed: Any = None
            content_type = request.headers.get("content-type", "")
            if content_type.startswith("application/x-www-form-urlencoded"):
                form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
            elif body:
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
            record = GoogleRequest(
                endpoint=_endpoint(request.method, request.url.path),
                method=request.method,
                path=request.url.path,
                params=dict(request.query_params),
                form=form,
                json=parsed,
                headers={k.lower(): v for k, v in request.headers.items()},
                time=time.monotonic(),
            )
            with service.lock:
                state().requests.append(record)
                failure = _take_failure(record.endpoint)
            try:
                if failure is not None:
                    response: Response = JSONResponse(failure.body, status_code=failure.status)
                else:
                    response = await handler(request)
            except Exception as exc:
                with service.lock:
                    service.errors.append(exc)
                    record.status = 500
                    service.lock.notify_all()
                raise
            answered: Any = None
            if isinstance(response, RedirectResponse):
                answered = {"location": response.headers["location"]}
            elif isinstance(response, JSONResponse):
                answered = json.loads(bytes(response.body))
            with service.lock:
                record.status = response.status_code
                record.response = answered
                service.lock.notify_all()
            return response

        return wrapper

    def _take_failure(endpoint: str) -> _Failure | None:
        for failure in state().failures:
            if failure.endpoint == endpoint:
                failure.times -= 1
                if failure.times <= 0:
                    state().failures.remove(failure)
                return failure
        return None

    def client_of(request: Request, form: dict[str, str]) -> OAuthClient | None:
        """The authenticated client (client_secret_basic or client_secret_post)."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except ValueError:  # not base64, or not UTF-8
                return None
            client_id, _, secret = decoded.partition(":")
        client = state().clients.get(client_id or "")
        given = (secret or "").encode()
        if client is None or not secrets.compare_digest(client.client_secret.encode(), given):
            return None
        return client

    # --- the authorization endpoint ---------------------------------------------------------

    async def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        with service.lock:
            client = state().clients.get(params.get("client_id", ""))
            if client is None:
                return _oauth_error("invalid_client", "The OAuth client was not found.", 401)
            redirect_uri = params.get("redirect_uri", "")
            if not redirect_uri or (
                client.redirect_uris is not None and redirect_uri not in client.redirect_uris
            ):
                return _oauth_error(
                    "redirect_uri_mismatch",
                    f"The redirect URI in the request, {redirect_uri}, does not match the ones "
                    "authorized for the OAuth client.",
                )
            problem = _authorization_problem(params)
            if problem is not None:
                return _oauth_error(*problem)
            scopes = tuple(params["scope"].split())
            state_param = params["state"]
            if state().deny_next:
                state().deny_next = False
                location = _with_query(
                    redirect_uri, {"error": "access_denied", "state": state_param}
                )
                return RedirectResponse(location, status_code=302)
            email = params.get("login_hint") or state().next_user
            if not email:
                return _oauth_error(
                    "no_test_user",
                    "nobody signs in: set GoogleService.next_user or pass login_hint",
                )
            code = _Code(
                code="4/0test-" + secrets.token_urlsafe(24),
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                scopes=scopes,
                email=email,
                challenge=params["code_challenge"],
                offline=params.get("access_type") == "offline",
                nonce=params.get("nonce"),
                issued=time.time(),
            )
            consented = (email, client.client_id) in state().consented
            if consented and state().refresh_only_on_first_consent:
                code.offline = code.offline and "consent" in params.get("prompt", "").split()
            state().consented.add((email, client.client_id))
            state().codes[code.code] = code
        location = _with_query(
            redirect_uri,
            {
                "state": state_param,
                "code": code.code,
                "scope": " ".join(scopes),
                "authuser": "0",
                "prompt": "consent",
            },
        )
        return RedirectResponse(location, status_code=302)

    def _authorization_problem(params: dict[str, str]) -> tuple[str, str] | None:
        if params.get("response_type") != "code":
            return "unsupported_response_type", "response_type must be code"
        scope = params.get("scope", "").split()
        if not scope:
            return "invalid_request", "Missing required parameter: scope"
        unknown = [s for s in scope if s not in KNOWN_SCOPES]
        if unknown:
            return "invalid_scope", f"Some requested scopes were invalid: {unknown}"
        if not params.get("state"):
            return "invalid_request", "Missing required parameter: state (the test bed wants one)"
        if params.get("code_challenge_method") != "S256":
            return "invalid_request", "code_challenge_method must be S256"
        if not _CHALLENGE.match(params.get("code_challenge", "")):
            return "invalid_request", "Invalid code_challenge: 43 base64url characters expected"
        if params.get("access_type", "online") not in ("online", "offline"):
            return "invalid_request", "Invalid access_type"
        return None

    # --- the token endpoint -----------------------------------------------------------------

    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True))
        grant_type = form.get("grant_type")
        if grant_type == JWT_BEARER:
            return jwt_bearer(form)
        if grant_type not in ("authorization_code", "refresh_token"):
            return _oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        with service.lock:
            client = client_of(request, form)
            if client is None:
                return _oauth_error("invalid_client", "Unauthorized", 401)
            if grant_type == "authorization_code":
                return authorization_code(client, form)
            return refresh(client, form)

    def authorization_code(client: OAuthClient, form: dict[str, str]) -> Response:
        code = state().codes.get(form.get("code", ""))
        if code is None:
            return _oauth_error("invalid_grant", "Malformed auth code.")
        if code.used:
            return _oauth_error("invalid_grant", "Bad Request")  # what Google says on reuse
        code.used = True  # one attempt per code, whatever its outcome
        if code.client_id != client.client_id:
            return _oauth_error("invalid_grant", "Unauthorized")
        if time.time() > code.issued + CODE_SECONDS:
            return _oauth_error("invalid_grant", "Bad Request")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error("redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier")
        if not verifier:
            return _oauth_error("invalid_grant", "Missing code verifier.")
        if not _VERIFIER.match(verifier) or not secrets.compare_digest(
            s256(verifier), code.challenge
        ):
            return _oauth_error("invalid_grant", "Invalid code verifier.")
        refresh_token: RefreshToken | None = None
        if code.offline:
            refresh_token = RefreshToken(
                token="1//0test-" + secrets.token_urlsafe(32),
                email=code.email,
                client_id=client.client_id,
                scopes=code.scopes,
            )
            state().refresh[refresh_token.token] = refresh_token
        access = service._new_access(
            user_principal(code.email),
            code.scopes,
            "user",
            client_id=client.client_id,
            refresh_token=refresh_token.token if refresh_token else None,
        )
        answer = token_answer(access, code.nonce)
        if refresh_token is not None:
            answer["refresh_token"] = refresh_token.token
        return JSONResponse(answer, headers={"cache-control": "no-store"})

    def refresh(client: OAuthClient, form: dict[str, str]) -> Response:
        grant = state().refresh.get(form.get("refresh_token", ""))
        if grant is None:
            return _oauth_error("invalid_grant", "Bad Request")
        if grant.revoked:
            return _oauth_error("invalid_grant", "Token has been expired or revoked.")
        if grant.client_id != client.client_id:
            return _oauth_error("unauthorized_client", "Unauthorized")
        scopes = grant.scopes
        if form.get("scope"):
            asked = tuple(form["scope"].split())
            if not set(asked) <= set(grant.scopes):
                return _oauth_error("invalid_scope", "Bad Request")
            scopes = asked
        grant.uses += 1
        access = service._new_access(
            user_principal(grant.email),
            scopes,
            "user",
            client_id=client.client_id,
            refresh_token=grant.token,
        )
        return JSONResponse(token_answer(access, None), headers={"cache-control": "no-store"})

    def token_answer(access: AccessToken, nonce: str | None) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "access_token": access.token,
            "expires_in": max(int(access.expires_at - time.time()), 0),
            "scope": " ".join(access.scopes),
            "token_type": "Bearer",
        }
        if "openid" in access.scopes and access.client_id is not None:
            answer["id_token"] = service.id_token(access.email, access.client_id, nonce)
        return answer

    def jwt_bearer(form: dict[str, str]) -> Response:
        try:
            claims = google_jwt.decode(form.get("assertion", ""), verify=False)
        except ValueError as exc:
            return _oauth_error("invalid_grant", f"Invalid JWT: {exc}")
        issuer, subject = str(claims.get("iss", "")), claims.get("sub")
        principal = (
            user_principal(str(subject))  # domain-wide delegation: acting as a user
            if subject and subject != issuer
            else service_account_principal(issuer)
        )
        scopes = tuple(str(claims.get("scope", "")).split())
        with service.lock:
            access = service._new_access(principal, scopes, "service_account")
            state().grants.append({**claims, "token": access.token})
        return JSONResponse(
            {
                "access_token": access.token,
                "token_type": "Bearer",
                "expires_in": max(int(access.expires_at - time.time()), 0),
            }
        )

    # --- the IAM Credentials API ----------------------------------------------------------

    async def generate_access_token(request: Request) -> Response:
        name = request.path_params["name"]
        if not name.endswith(_GENERATE):
            return _api_error(404, "NOT_FOUND", f"Method not found: {name}")
        target = name.removesuffix(_GENERATE)
        token = _bearer(request)
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return _api_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        with service.lock:
            if token is None:
                return _api_error(401, "UNAUTHENTICATED", MISSING_CREDENTIALS)
            caller = state().access.get(token)
            if caller is None or not caller.valid:
                return _api_error(401, "UNAUTHENTICATED", INVALID_CREDENTIALS)
            if not {IAM_SCOPE, CLOUD_PLATFORM_SCOPE} & set(caller.scopes):
                return _api_error(403, "PERMISSION_DENIED", INSUFFICIENT_SCOPES)
            scopes = body.get("scope") if isinstance(body, dict) else None
            if not scopes or not isinstance(scopes, list):
                return _api_error(400, "INVALID_ARGUMENT", "Scope required.")
            lifetime = body.get("lifetime")
            seconds = float(MAX_LIFETIME_SECONDS)
            if lifetime is not None:
                match = _LIFETIME.match(str(lifetime))
                if match is None or not 0 < float(match.group(1)) <= MAX_LIFETIME_SECONDS:
                    return _api_error(
                        400,
                        "INVALID_ARGUMENT",
                        "The lifetime requested must be a duration between 1s and 3600s.",
                    )
                seconds = float(match.group(1))
            if not target.endswith(".gserviceaccount.com"):
                return _api_error(404, "NOT_FOUND", f"Gaia id not found for email {target}")
            refusals = state().denied
            denied = (None, target) in refusals or (caller.principal, target) in refusals
            record = Impersonation(
                caller=caller.principal,
                target=target,
                scopes=tuple(scopes),
                lifetime=None if lifetime is None else str(lifetime),
                status=403 if denied else 200,
                token=None,
            )
            state().impersonations.append(record)
            if denied:
                return _api_error(
                    403,
                    "PERMISSION_DENIED",
                    "Permission 'iam.serviceAccounts.getAccessToken' denied on resource "
                    "(or it may not exist).",
                    details=[
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "IAM_PERMISSION_DENIED",
                            "domain": "iam.googleapis.com",
                            "metadata": {"permission": "iam.serviceAccounts.getAccessToken"},
                        }
                    ],
                )
            access = service._new_access(
                service_account_principal(target),
                tuple(scopes),
                "impersonated",
                seconds=int(min(seconds, state().access_token_seconds)),
            )
            record.token = access.token
        expire = datetime.fromtimestamp(int(access.expires_at), UTC)
        return JSONResponse(
            {"accessToken": access.token, "expireTime": expire.strftime("%Y-%m-%dT%H:%M:%SZ")}
        )

    # --- the rest ---------------------------------------------------------------------------

    async def revoke(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True))
        token = form.get("token") or request.query_params.get("token", "")
        with service.lock:
            known = service._revoke(token, keep_access_tokens=False)
        if not known:
            return _oauth_error("invalid_token", "Token expired or revoked")
        return JSONResponse({})

    async def userinfo(request: Request) -> Response:
        token = _bearer(request)
        info = service.token_info(token) if token else None
        if info is None or not info.valid:
            return _api_error(401, "UNAUTHENTICATED", INVALID_CREDENTIALS)
        return JSONResponse(
            {"sub": _subject_id(info.email), "email": info.email, "email_verified": True}
        )

    async def discovery(request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": service.issuer,
                "authorization_endpoint": service.auth_uri,
                "token_endpoint": service.token_uri,
                "userinfo_endpoint": service.userinfo_uri,
                "revocation_endpoint": service.revoke_uri,
                "jwks_uri": service.jwks_uri,
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code", "refresh_token", JWT_BEARER],
            }
        )

    async def jwks(request: Request) -> Response:
        return JSONResponse(service.jwks)

    async def pem_certs(request: Request) -> Response:
        return JSONResponse({service._key_id: service._certificate})

    async def not_found(request: Request) -> Response:
        return _api_error(404, "NOT_FOUND", f"The stand-in has no {request.url.path}")

    routes = [
        Route("/o/oauth2/v2/auth", recorded(authorize), methods=["GET"]),
        Route("/token", recorded(token), methods=["POST"]),
        Route(
            "/v1/projects/{project}/serviceAccounts/{name:path}",
            recorded(generate_access_token),
            methods=["POST"],
        ),
        Route("/revoke", recorded(revoke), methods=["POST"]),
        Route("/oauth2/v3/userinfo", recorded(userinfo), methods=["GET", "POST"]),
        Route("/.well-known/openid-configuration", recorded(discovery), methods=["GET"]),
        Route("/oauth2/v3/certs", recorded(jwks), methods=["GET"]),
        Route("/oauth2/v1/certs", recorded(pem_certs), methods=["GET"]),
        Route("/{rest:path}", recorded(not_found), methods=["GET", "POST", "PUT", "DELETE"]),
    ]
    return Starlette(routes=routes)


@contextmanager
def google_service() -> Iterator[GoogleService]:
    """Run the stand-in until the block ends."""
    service = GoogleService()
    with live_server(_app(service)) as url:
        service.url = url
        yield service


def service_account_key(
    token_uri: str, email: str = "belvedere-test@test-project.iam.gserviceaccount.com"
) -> str:
    """A service-account key file's content, with a fresh RSA key, whose tokens come from
    ``token_uri``."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": email,
            "client_id": "1234567890",
            "token_uri": token_uri,
        }
    )
