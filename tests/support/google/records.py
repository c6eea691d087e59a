"""What the Google stand-in keeps: its clients, tokens, codes and recordings (:class:`State`,
swapped whole by :meth:`~tests.support.google.service.GoogleService.reset`)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["user", "service_account", "impersonated"]


def user_principal(email: str) -> str:
    return f"user:{email}"


def service_account_principal(email: str) -> str:
    return f"serviceAccount:{email}"


def subject_id(email: str) -> str:
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
class AuthorizationCode:
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
class Failure:
    endpoint: str
    status: int
    body: Any
    times: int


@dataclass
class State:
    next_user: str | None = None
    deny_next: bool = False
    access_token_seconds: int = 3600
    refresh_only_on_first_consent: bool = False
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, RefreshToken] = field(default_factory=dict)
    consented: set[tuple[str, str]] = field(default_factory=set)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    denied: set[tuple[str | None, str]] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    requests: list[GoogleRequest] = field(default_factory=list)
    impersonations: list[Impersonation] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)
