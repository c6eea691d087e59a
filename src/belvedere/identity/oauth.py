"""OAuth2 clients of Belvedere's redirect flows (sign-in, users' authorizations of warehouses),
on Authlib: authorization URLs with PKCE (S256), code exchange, provider errors as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError

#: Longest wait for a provider's answer.
HTTP_SECONDS = 15.0


class ProviderError(Exception):
    """The provider could not be reached or refused; the message says which, in its words."""


def new_secret() -> str:
    """A high-entropy value for a PKCE verifier or a nonce (64 characters)."""
    return str(generate_token(64))


def client(
    client_id: str, client_secret: str | None, scopes: Sequence[str] | str, redirect_uri: str
) -> OAuth2Session:
    """A client of one provider app: PKCE with S256, the secret (if any) sent in the body."""
    return OAuth2Session(
        client_id=client_id,
        client_secret=client_secret,
        token_endpoint_auth_method="client_secret_post" if client_secret else "none",
        scope=scopes if isinstance(scopes, str) else " ".join(scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=HTTP_SECONDS,
    )


def authorization_url(
    session: OAuth2Session, endpoint: str, state: str, verifier: str, **params: str
) -> str:
    """The provider's URL to send the browser to, with the state and the PKCE challenge."""
    url, _ = session.create_authorization_url(
        endpoint, state=state, code_verifier=verifier, **params
    )
    return str(url)


def exchange(session: OAuth2Session, token_url: str, code: str, verifier: str) -> Mapping[str, Any]:
    """Redeem an authorization code (blocking); raises :class:`ProviderError`."""
    try:
        token = session.fetch_token(
            token_url, grant_type="authorization_code", code=code, code_verifier=verifier
        )
    except OAuthError as exc:
        reason = exc.description or exc.error
        raise ProviderError(f"refused ({reason})") from None
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(f"could not be reached: {exc}") from None
    finally:
        session.close()
    return dict(token)


def fetch_json(url: str) -> dict[str, Any]:
    """A provider's JSON document (discovery, keys), blocking; raises :class:`ProviderError`."""
    try:
        answer = requests.get(url, timeout=HTTP_SECONDS)
        answer.raise_for_status()
        data = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(f"could not be reached: {exc}") from None
    if not isinstance(data, dict):
        raise ProviderError(f"sent no JSON object from {url}")
    return data
