"""What one process changes, every process forgets within a moment: ended sessions, changed
accounts, changed connections and identities that lost their access.

Each change is made in one process, which drops its own copies at once and tells the others
through the bus; they drop theirs (caches, live backends, catalogs) when the message arrives.
What is stored (grants, cached results) is changed once, by the process that made the change.
When the bus comes back after an outage, messages may have been missed: every process drops
what it keeps of sessions, accounts and catalogs, and checks its live backends against the
store (a backend of changed options or of a revoked grant goes; the others keep running).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from belvedere.cluster.bus import Handler, Message, Topic

if TYPE_CHECKING:
    from belvedere.services import Services

#: The field of a message naming the process that sent it (it already dropped its own).
ORIGIN = "origin"


class Invalidation:
    """Tells the other processes of the changes made in this one, and drops here what they
    tell of theirs."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._origin = uuid.uuid4().hex

    def wire(self) -> None:
        """Hook into where changes happen, and subscribe to the other processes' changes."""
        s, bus = self._services, self._services.bus
        s.sessions.on_end.append(self._sessions_ended)
        s.users.on_change.append(self._user_changed)
        s.connections.on_change.insert(0, self._connection_changed)  # before its results go
        s.revocation.on_revoke.append(self._identity_forgotten)
        bus.subscribe(Topic.SESSIONS_ENDED, self._elsewhere(self._forget_sessions))
        bus.subscribe(Topic.USER_CHANGED, self._elsewhere(self._forget_user))
        bus.subscribe(Topic.CONNECTION_CHANGED, self._elsewhere(self._forget_connection))
        bus.subscribe(Topic.IDENTITY_FORGOTTEN, self._elsewhere(self._forget_identity))
        bus.on_reconnect(self.forget_all)

    # -- changes made here: tell the others ----------------------------------------------
    def _publish(self, topic: Topic, message: Message) -> None:
        self._services.bus.publish(topic, {**message, ORIGIN: self._origin})

    def _sessions_ended(self, id_hashes: Sequence[str], user_id: int | None) -> None:
        if user_id is not None:
            self._publish(Topic.SESSIONS_ENDED, {"user": user_id})
        elif id_hashes:
            self._publish(Topic.SESSIONS_ENDED, {"hashes": list(id_hashes)})

    def _user_changed(self, user_id: int) -> None:
        self._services.sessions.forget_user(user_id)
        self._publish(Topic.USER_CHANGED, {"user": user_id})

    def _connection_changed(self, name: str) -> None:
        self._publish(Topic.CONNECTION_CHANGED, {"name": name})

    def _identity_forgotten(self, connection: str, key_prefix: str) -> None:
        self._publish(Topic.IDENTITY_FORGOTTEN, {"connection": connection, "prefix": key_prefix})

    # -- changes made elsewhere: drop this process's copies ------------------------------
    def _elsewhere(self, handler: Handler) -> Handler:
        """``handler`` for the other processes' messages (this one dropped its own)."""

        def handle(message: Message) -> None:
            if message.get(ORIGIN) != self._origin:
                handler(message)

        return handle

    def _forget_sessions(self, message: Message) -> None:
        self._services.sessions.forget(message.get("hashes") or (), message.get("user"))

    def _forget_user(self, message: Message) -> None:
        self._services.sessions.forget_user(int(message["user"]))

    def _forget_connection(self, message: Message) -> None:
        self._services.connections.forget(str(message["name"]))

    def _forget_identity(self, message: Message) -> None:
        self._services.revocation.forget(str(message["connection"]), str(message["prefix"]))

    def forget_all(self) -> None:
        """Messages may have been missed: drop every copy this process keeps of sessions and
        catalogs, read connections again, and retire the live backends that a missed change
        would have (not the others: queries running on them go on)."""
        s = self._services
        s.sessions.forget_all()
        s.catalog.forget_all()
        vault = s.identity.vault
        s.connections.reconcile(lambda user, name: vault.get(user, name) is not None)


def wire_bus(services: Services) -> Invalidation:
    """Make the changes of each process reach every other one through ``services.bus``."""
    invalidation = Invalidation(services)
    invalidation.wire()
    return invalidation
