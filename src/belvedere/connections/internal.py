"""The built-in connection ``belvedere``: defined in code, never stored, changed or removed.

Its principal is per asker (admins: everyone's runs; others: their own; days in their time
zone), so live backends and cached results are never shared between askers with different
views; the principal's credentials are the :class:`SpendScope` its backend reads with."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from belvedere.auth.roles import Role
from belvedere.connections.definition import ConnectionView, Definition
from belvedere.connections.validation import ConnectionInvalid
from belvedere.execution.runs import Actor
from belvedere.identity.principal import Principal
from belvedere.warehouses.internal.spend import INTERNAL_CONNECTION, SpendRows, SpendScope
from belvedere.warehouses.registry import INTERNAL_BACKENDS, backend_class

#: The kind of the built-in connection's backend.
KIND = "belvedere"

__all__ = ["INTERNAL_CONNECTION", "InternalConnection", "refuse_internal"]

#: Why the built-in connection cannot be added, changed or removed.
BUILT_IN = (
    f"{INTERNAL_CONNECTION} is Belvedere's built-in connection (its own records): it cannot "
    "be added, changed or removed."
)


def refuse_internal(name: str | None, kind: str | None = None) -> None:
    """Refuse to add, change or remove the built-in connection, or one of its kind."""
    if name == INTERNAL_CONNECTION or kind in INTERNAL_BACKENDS:
        raise ConnectionInvalid(BUILT_IN)


class InternalConnection:
    """The definition of ``belvedere`` and its principal for each asker."""

    def __init__(self, rows: SpendRows, zone: Callable[[int | None], ZoneInfo]) -> None:
        """``zone(user id)``: where an asker's days start (blocking: may read their account)."""
        self._rows = rows
        self._zone = zone
        self.view = ConnectionView(
            name=INTERNAL_CONNECTION,
            kind=KIND,
            options={},
            secrets_set=(),
            timeout_seconds=None,
        )
        self._definition: Definition | None = None

    @property
    def definition(self) -> Definition:
        """Its definition (its backend, and DuckDB, imported at first use)."""
        if self._definition is None:
            backend = backend_class(KIND)
            self._definition = Definition(self.view, backend.options_model(), backend)
        return self._definition

    def principal(self, actor: Actor) -> Principal:
        """Who ``actor`` queries ``belvedere`` as: everyone's runs for an admin (the command
        line acts as one), their own for anyone else (blocking)."""
        everyone = actor.role == Role.ADMIN.value
        if actor.user_id is None and not everyone:
            return Principal("internal:nobody", f"{INTERNAL_CONNECTION}:{actor.name}")
        zone = self._zone(actor.user_id)
        scope = SpendScope(None if everyone else actor.user_id, zone, self._rows)
        who = "cli" if actor.user_id is None else str(actor.user_id)
        sees = "all" if everyone else "own"
        return Principal(
            key=f"internal:{who}:{sees}:{zone.key}",
            name=f"{INTERNAL_CONNECTION}:{actor.name}",
            credentials=lambda: scope,
        )
