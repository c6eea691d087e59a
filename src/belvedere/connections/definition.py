"""A stored connection read once: what users may see of it, and its validated options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from belvedere.connections.handle import ConnectionHandle
from belvedere.identity.principal import Principal
from belvedere.warehouses.base import Warehouse


@dataclass(frozen=True)
class ConnectionView:
    """A connection as users may see it: options without secrets."""

    name: str
    kind: str
    options: dict[str, Any]
    secrets_set: tuple[str, ...]
    timeout_seconds: float | None


def secrets_set(secrets: dict[str, Any]) -> tuple[str, ...]:
    """The names of the secrets that hold a value, sorted."""
    return tuple(sorted(k for k, v in secrets.items() if v))


@dataclass(frozen=True)
class Definition:
    """A connection's view and its validated options, secrets included (for the backend only):
    what one read and one decryption give, cached for a few seconds."""

    view: ConnectionView
    options: BaseModel
    backend: type[Warehouse]
    """The backend class of the connection's kind."""
    generation: int = 0
    """The connection's version when it was read (see :class:`LiveBackends`)."""

    def handle(self, principal: Principal) -> ConnectionHandle:
        """The connection as ``principal`` runs on it."""
        return ConnectionHandle(
            name=self.view.name,
            kind=self.view.kind,
            backend=self.backend,
            options=self.options,
            timeout_seconds=self.view.timeout_seconds,
            principal=principal,
            generation=self.generation,
        )
