"""Sign-in with OpenID Connect (Google by default, any issuer by settings): authorization code
with PKCE, state and nonce checked, the ID token verified against the issuer's keys. Users are
created at their first sign-in; groups in a claim can map to roles."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from belvedere.auth.roles import Role
from belvedere.identity.flows import PendingFlows
from belvedere.identity.pkce import challenge, new_verifier
from belvedere.settings import Settings
from belvedere.store.models import User
from belvedere.store.users import Users

FLOW = "signin"
CALLBACK_PATH = "/auth/oidc/callback"
HTTP_SECONDS = 15.0
DISCOVERY_SECONDS = 3600.0
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
        self._keys: Any = None
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
            answer = requests.get(url, timeout=HTTP_SECONDS)
            answer.raise_for_status()
            data: dict[str, Any] = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise SignInError(f"The sign-in provider could not be reached: {exc}") from None
        return data

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

    def _key_set(self, refresh: bool = False) -> Any:
        with self._lock:
            keys = self._keys
        if keys is None or refresh:
            keys = KeySet.import_key_set(self._get(self.metadata()["jwks_uri"]))  # type: ignore[arg-type]
            with self._lock:
                self._keys = keys
        return keys

    def start(self, next_path: str) -> str:
        """The provider's URL to send the browser to (blocking: may fetch discovery)."""
        authorize = self.metadata()["authorization_endpoint"]
        verifier = new_verifier()
        nonce = new_verifier()
        state = self._flows.start(FLOW, {"verifier": verifier, "nonce": nonce, "next": next_path})
        query = {
            "client_id": self._settings.oidc_client_id or "",
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": self._settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
        }
        return f"{authorize}?{urlencode(query)}"

    def finish(self, state: str, code: str) -> SignedIn:
        """Check the flow, redeem the code, verify the ID token, find or create the user."""
        flow = self._flows.take(state, FLOW)
        if flow is None:
            raise SignInError("This sign-in expired or was not started here. Try again.")
        secret = self._settings.oidc_client_secret
        try:
            answer = requests.post(
                self.metadata()["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "client_id": self._settings.oidc_client_id or "",
                    "client_secret": secret.get_secret_value() if secret else "",
                    "code_verifier": flow.data["verifier"],
                },
                timeout=HTTP_SECONDS,
            )
            tokens = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise SignInError(f"The sign-in provider could not be reached: {exc}") from None
        if answer.status_code != 200 or "id_token" not in tokens:
            reason = tokens.get("error_description") or tokens.get("error") or answer.status_code
            raise SignInError(f"The sign-in provider refused the sign-in ({reason}).")
        claims = self._verify(tokens["id_token"], flow.data["nonce"])
        return SignedIn(self._user(claims), flow.data.get("next") or "/")

    def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        expected = jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": self.metadata()["issuer"]},
            aud={"essential": True, "value": self._settings.oidc_client_id or ""},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        for refresh in (False, True):  # keys rotate: fetch them again once on failure
            try:
                token = jwt.decode(id_token, self._key_set(refresh))
                expected.validate(token.claims)
            except (JoseError, ValueError) as exc:
                if refresh:
                    raise SignInError(f"The sign-in could not be verified ({exc}).") from None
                continue
            return dict(token.claims)
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
