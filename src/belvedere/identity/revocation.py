"""Revocation inside Belvedere takes effect at once: when a user is deactivated, a grant is
revoked, or a connection changes, what Belvedere holds for that identity goes: the stored grants
(refresh tokens), the live backends holding its access tokens, and cached results it could be
served, and the catalogs loaded as it. Changes made at the provider instead reach Belvedere when it
next asks for an access token, at most ``BELVEDERE_IDENTITY_TOKEN_TTL_SECONDS`` later.

:meth:`Revocation.grant` is the one path for a user's grant that is revoked or found dead."""

from __future__ import annotations

import logging
from collections.abc import Callable

from belvedere.connections.service import ConnectionService
from belvedere.execution.runs import Actor, RunStatus
from belvedere.identity.principal import SHARED, user_key_prefix
from belvedere.identity.service import AuthorizationRequired, IdentityService
from belvedere.store.models import User, utcnow
from belvedere.store.runs import Runs

log = logging.getLogger(__name__)


class Revocation:
    """Drops what Belvedere holds for an identity that lost its access (blocking)."""

    def __init__(self, identity: IdentityService, connections: ConnectionService, runs: Runs):
        self._identity = identity
        self._connections = connections
        self._runs = runs
        self.on_forget: list[Callable[[str, str], None]] = []
        """Called with (connection, identity key prefix) for caches kept per identity elsewhere
        in this process (catalogs)."""
        self.on_revoke: list[Callable[[str, str], None]] = []
        """Called with (connection, identity key prefix) in the process that revoked, once
        it dropped its own (to tell the other processes)."""

    def forget(self, connection: str, key_prefix: str) -> None:
        """Close the identity's live backends in this process and drop what else it caches
        as it (the identity lost its access, here or in another process)."""
        self._connections.forget_identity(connection, key_prefix)
        for hook in self.on_forget:
            hook(connection, key_prefix)

    def _forget(self, connection: str, key_prefix: str) -> None:
        self.forget(connection, key_prefix)
        for hook in self.on_revoke:
            hook(connection, key_prefix)

    def user(self, user: User) -> None:
        """A user was deactivated: their grants, tokens and cached results go, everywhere, and
        their runs in flight are stopped."""
        actor = Actor.of(user)
        for connection in self._identity.vault.connections_of(user.id):
            self._identity.vault.delete(user.id, connection)
        for view in self._connections.list():
            self._forget(view.name, user_key_prefix(user.id))
            try:  # an impersonated account's tokens, where the user maps to one
                principal = self._connections.resolve(view.name, actor).principal
            except (ValueError, LookupError, AuthorizationRequired):
                continue  # no identity of theirs there: nothing held
            if principal.key != SHARED:
                self._forget(view.name, principal.key)
        dropped = self._runs.uncache(user_id=user.id)
        stopped = self._runs.end_active_of(
            user.id,
            RunStatus.CANCELLED,
            error_code="cancelled",
            error_message="Cancelled: the account was deactivated.",
            finished_at=utcnow(),
        )
        log.info(
            "user %s deactivated: grants, tokens, %d cached runs dropped, %d runs stopped",
            user.id,
            dropped,
            stopped,
        )

    def grant(self, user_id: int, connection: str) -> None:
        """A user's grant to a connection was revoked (by them, or found dead): the stored grant,
        the live backends and catalogs of that identity, and the results cached for it go."""
        self._identity.vault.delete(user_id, connection)
        self._forget(connection, user_key_prefix(user_id))
        self._runs.uncache(user_id=user_id, connection=connection)

    def connection(self, name: str) -> None:
        """A connection changed (its identity, credentials, target) or was removed: no result
        it cached is served again. (Its live backends, tokens with them, are already gone.)"""
        self._runs.uncache(connection=name)
