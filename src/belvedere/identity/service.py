"""Resolve who a query runs as, per user and connection (blocking: reads the token vault).

Only the backend's :class:`~belvedere.warehouses.base.PerUserIdentity` capability is asked:
nothing here knows a warehouse or a provider, so a new warehouse with OAuth or impersonation
plugs in by implementing that capability, without a change here.
"""

from __future__ import annotations

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
from belvedere.warehouses.base import (
    IdentityMode,
    PerUserIdentity,
    UserAuthorization,
    Warehouse,
)

__all__ = ["AuthorizationRequired", "IdentityError", "IdentityService", "per_user"]


class AuthorizationRequired(Exception):
    """The user has not authorized this connection yet (or the grant was revoked)."""

    def __init__(self, connection: str, provider: str) -> None:
        super().__init__(f"Connect your {provider} account to query {connection}.")
        self.connection = connection
        self.provider = provider


def per_user(backend: type[Warehouse], options: BaseModel) -> PerUserIdentity | None:
    """The backend's identity capability where the options choose a per-user mode, else
    ``None`` (queries run as the connection)."""
    if not isinstance(backend, PerUserIdentity):
        return None
    return None if backend.identity_mode(options) is IdentityMode.CONNECTION else backend


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
        identity = per_user(backend, options)
        if identity is None:
            return CONNECTION_IDENTITY
        if actor.user_id is None:
            # The label without its provider's name in front ("Acme Lake" of provider "Acme")
            warehouse = backend.label.removeprefix(f"{identity.identity_provider} ")
            raise IdentityError(
                f"Connection {connection} queries {warehouse} as each user: run as a user "
                "(belvedere query --as USER)."
            )
        mode = identity.identity_mode(options)
        if mode is IdentityMode.USER_GRANT:
            found = self.vault.get(actor.user_id, connection)
            if found is None:
                raise AuthorizationRequired(connection, identity.identity_provider)
            grant, stored_at = found
            return Principal(
                key=f"{user_key_prefix(actor.user_id)}{stored_at.timestamp()}",
                # The grant is the identity; the e-mail only labels it in the audit log.
                name=identity.grant_name(actor.email) if actor.email else f"grant of {actor.name}",
                credentials=identity.grant_credentials(grant, options, self._settings),
            )
        acting = identity.impersonation(
            options, actor.email, actor.groups, connection, self._settings
        )
        return Principal(
            key=f"impersonate:{acting.target}", name=acting.name, credentials=acting.credentials
        )

    def needs_grant(self, backend: type[Warehouse], options: BaseModel) -> bool:
        """Whether queries run with each user's own grant (each user authorizes once)."""
        identity = per_user(backend, options)
        return identity is not None and identity.identity_mode(options) is IdentityMode.USER_GRANT

    def authorization(
        self, connection: str, backend: type[Warehouse], options: BaseModel
    ) -> UserAuthorization:
        """What a user's authorization of ``connection`` asks its provider for; raises
        ``IdentityError`` where the connection does not query with each user's grant."""
        identity = per_user(backend, options)
        if identity is None or not self.needs_grant(backend, options):
            raise IdentityError(f"Connection {connection} does not query as each user.")
        return identity.user_authorization(options, self._settings)

    def provider(self, backend: type[Warehouse]) -> str:
        """Whose accounts users connect to query ``backend``, as they know it."""
        return backend.identity_provider if isinstance(backend, PerUserIdentity) else backend.label
