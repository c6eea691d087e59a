"""Sign-in with OpenID Connect (Google by default, any issuer by settings): authorization code
with PKCE (Authlib's OAuth2 client), state and nonce checked, the ID token's signature checked
against the issuer's keys (joserfc) and its claims by Authlib's OpenID Connect rules (issuer,
audience, expiry, nonce). Users are created at their first sign-in; groups in a claim can map to
roles."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from belvedere.auth.roles import Role
from belvedere.identity import oauth
from belvedere.identity.flows import PendingFlows
from belvedere.settings import Settings
from belvedere.store.models import User
from belvedere.store.users import Users

FLOW = "signin"
CALLBACK_PATH = "/auth/oidc/callback"
DISCOVERY_SECONDS = 3600.0
#: Clock difference tolerated in the ID token's times.
LEEWAY_SECONDS = 60
ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


class SignInError(ValueError):
    """Sign-in did not succeed; the message says why, for the person signing in."""


@dataclass(frozen=True)
class SignedIn:
    user: User
    next: str


def role_mapping(text: str) -> dict[str, Role]:
    """``group=role,...`` as a mapping (bad entries are refused at start by the settings)."""
    mapping: dict[str, Role] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        group, _, role = entry.partition("=")
        mapping[group.strip()] = Role(role.strip())
    return mapping


def verified_email(claims: dict[str, Any]) -> str | None:
    """The e-mail of ID token claims if the provider verified it (``email_verified`` true);
    else ``None``: an unverified address may be anyone's, so it names no one here."""
    email = claims.get("email")
    verified = claims.get("email_verified")
    if isinstance(verified, str):  # some providers send "true"
        verified = verified.strip().lower() == "true"
    return email.strip() if isinstance(email, str) and email.strip() and verified is True else None


class OIDCSignIn:
    """The sign-in flow against one issuer."""

    def __init__(self, settings: Settings, flows: PendingFlows, users: Users) -> None:
        self._settings = settings
        self._flows = flows
        self._users = users
        self._mapping = role_mapping(settings.oidc_role_mapping)
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self._settings.oidc_client_id)

    @property
    def label(self) -> str:
        return self._settings.oidc_label

    @property
    def redirect_uri(self) -> str:
        return self._settings.public_url.rstrip("/") + CALLBACK_PATH

    def _get(self, url: str) -> dict[str, Any]:
        try:
            return oauth.fetch_json(url)
        except oauth.ProviderError as exc:
            raise SignInError(f"The sign-in provider {exc}") from None

    def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document (cached for an hour)."""
        with self._lock:
            cached = self._discovery
        if cached is not None and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
            return cached[1]
        issuer = self._settings.oidc_issuer.rstrip("/")
        found = self._get(f"{issuer}/.well-known/openid-configuration")
        with self._lock:
            self._discovery = (time.monotonic(), found)
        return found

    def _key_set(self, refresh: bool = False) -> KeySet:
        with self._lock:
            keys = self._keys
        if keys is None or refresh:
            keys = KeySet.import_key_set(self._get(self.metadata()["jwks_uri"]))  # type: ignore[arg-type]
            with self._lock:
                self._keys = keys
        return keys

    def _client(self) -> Any:
        secret = self._settings.oidc_client_secret
        return oauth.client(
            self._settings.oidc_client_id or "",
            secret.get_secret_value() if secret else None,
            self._settings.oidc_scopes,
            self.redirect_uri,
        )

    def start(self, next_path: str) -> str:
        """The provider's URL to send the browser to (blocking: may fetch discovery)."""
        authorize = self.metadata()["authorization_endpoint"]
        verifier = oauth.new_secret()
        nonce = oauth.new_secret()
        state = self._flows.start(FLOW, {"verifier": verifier, "nonce": nonce, "next": next_path})
        with self._client() as session:
            return oauth.authorization_url(session, authorize, state, verifier, nonce=nonce)

    def finish(self, state: str, code: str) -> SignedIn:
        """Check the flow, redeem the code, verify the ID token, find or create the user."""
        flow = self._flows.take(state, FLOW)
        if flow is None:
            raise SignInError("This sign-in expired or was not started here. Try again.")
        token_url = self.metadata()["token_endpoint"]
        try:
            tokens = oauth.exchange(self._client(), token_url, code, flow.data["verifier"])
        except oauth.ProviderError as exc:
            raise SignInError(f"The sign-in provider {exc}.") from None
        if "id_token" not in tokens:
            raise SignInError("The sign-in provider refused the sign-in (no ID token).")
        claims = self._verify(tokens["id_token"], flow.data["nonce"])
        return SignedIn(self._user(claims), flow.data.get("next") or "/")

    def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature (the issuer's keys, fetched again once when
        they may have rotated) and its claims (issuer, audience, expiry, nonce) check out."""
        metadata = self.metadata()
        client_id = self._settings.oidc_client_id or ""
        for refresh in (False, True):
            try:
                token = jwt.decode(id_token, self._key_set(refresh))  # recommended algorithms
                claims = CodeIDToken(
                    token.claims,
                    token.header,
                    {
                        "iss": {"essential": True, "value": metadata["issuer"]},
                        "aud": {"essential": True, "value": client_id},
                    },
                    {"nonce": nonce, "client_id": client_id},
                )
                claims.validate(leeway=LEEWAY_SECONDS)
            except (JoseError, ValueError) as exc:
                if refresh:
                    raise SignInError(f"The sign-in could not be verified ({exc}).") from None
                continue
            return dict(claims)
        raise AssertionError("unreachable")

    def _user(self, claims: dict[str, Any]) -> User:
        email = verified_email(claims)
        domains = [
            d.strip().lower() for d in self._settings.oidc_allowed_domains.split(",") if d.strip()
        ]
        if domains and email is None:
            raise SignInError(
                "The sign-in provider did not vouch for your e-mail address (no verified "
                "e-mail), so your domain cannot be checked: verify it with the provider first."
            )
        if domains and email is not None and email.rsplit("@", 1)[-1].lower() not in domains:
            raise SignInError("Accounts of your domain may not sign in here.")
        groups_claim = claims.get(self._settings.oidc_groups_claim) or []
        groups = [str(g) for g in groups_claim] if isinstance(groups_claim, list) else []
        mapped = [self._mapping[g] for g in groups if g in self._mapping]
        role = max(mapped, key=ROLE_RANK.__getitem__) if mapped else None
        return self._users.sign_in_oidc(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=email,
            display_name=str(claims.get("name") or email or claims["sub"]),
            groups=groups,
            mapped_role=role,
            default_role=Role(self._settings.oidc_default_role),
        )
