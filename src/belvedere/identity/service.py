"""Resolve who a query runs as, per user and connection (blocking: reads the token vault)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel

from belvedere.execution.runs import Actor
from belvedere.identity.principal import (
    CONNECTION_IDENTITY,
    IdentityError,
    Principal,
    user_key_prefix,
)
from belvedere.identity.vault import TokenVault
from belvedere.settings import Settings
from belvedere.warehouses.base import Warehouse

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

__all__ = ["AuthorizationRequired", "IdentityError", "IdentityService"]


class AuthorizationRequired(Exception):
    """The user has not authorized this connection yet (or the grant was revoked)."""

    def __init__(self, connection: str) -> None:
        super().__init__(f"Connect your Google account to query {connection}.")
        self.connection = connection


class IdentityService:
    """The three identity modes: the connection's own, each user's grant, impersonation."""

    def __init__(self, settings: Settings, vault: TokenVault) -> None:
        self._settings = settings
        self.vault = vault

    def resolve(
        self, actor: Actor, connection: str, backend: type[Warehouse], options: BaseModel
    ) -> Principal:
        """Who ``actor`` queries ``connection`` as, given its backend and validated options (a
        saved connection's, or ones being tested before saving under the name ``connection``).
        Blocking: may read the token vault."""
        from belvedere.warehouses.bigquery import identity as google
        from belvedere.warehouses.bigquery.options import BigQueryOptions

        if not isinstance(options, BigQueryOptions) or options.identity == "service_account":
            return CONNECTION_IDENTITY
        if actor.user_id is None:
            raise IdentityError(
                f"Connection {connection} queries BigQuery as each user: run as a user "
                "(belvedere query --as USER)."
            )
        if options.identity == "user_oauth":
            found = self.vault.get(actor.user_id, connection)
            if found is None:
                raise AuthorizationRequired(connection)
            grant, stored_at = found
            client_id, secret = self.oauth_client(options)
            return Principal(
                key=f"{user_key_prefix(actor.user_id)}{stored_at.timestamp()}",
                # The grant is the identity; the e-mail only labels it in the audit log.
                name=f"user:{actor.email}" if actor.email else f"grant of {actor.name}",
                credentials=self._short_lived(
                    lambda: google.user_credentials(
                        grant["refresh_token"],
                        token_url=self._settings.google_oauth_token_url,
                        client_id=client_id,
                        client_secret=secret,
                    )
                ),
            )
        target = google.impersonation_target(options, actor.email, actor.groups, connection)
        return Principal(
            key=f"impersonate:{target}",
            name=f"serviceAccount:{target}",
            credentials=self._short_lived(
                lambda: google.impersonated(
                    options, target, self._settings.google_iam_credentials_url
                )
            ),
        )

    def _short_lived(self, make: Callable[[], Credentials]) -> Callable[[], Credentials]:
        """Credentials whose access tokens are reused no longer than the configured token
        lifetime (``BELVEDERE_IDENTITY_TOKEN_TTL_SECONDS``)."""
        from belvedere.warehouses.bigquery.clients import cap_token_lifetime

        ttl = self._settings.identity_token_ttl_seconds
        return lambda: cap_token_lifetime(make(), ttl)

    def oauth_client(self, options: object) -> tuple[str, str | None]:
        """The OAuth client users authorize a connection through."""
        own_id = getattr(options, "oauth_client_id", None)
        own_secret = getattr(options, "oauth_client_secret", None)
        client_id = own_id or self._settings.oidc_client_id
        if not client_id:
            raise IdentityError(
                "No OAuth client for users' authorizations: set the connection's "
                "oauth_client_id or BELVEDERE_OIDC_CLIENT_ID."
            )
        secret = own_secret or self._settings.oidc_client_secret
        return client_id, secret.get_secret_value() if secret is not None else None
