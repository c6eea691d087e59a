"""A connection resolved for one run: everything the worker needs, read and decrypted once."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from belvedere.identity.principal import Principal
from belvedere.warehouses.base import Warehouse


@dataclass(frozen=True)
class ConnectionHandle:
    """A connection as one actor runs on it: its settings, validated options (secrets
    included, for the backend only), backend class and the principal the warehouse sees."""

    name: str
    kind: str
    backend: type[Warehouse]
    options: BaseModel
    timeout_seconds: float | None
    principal: Principal
    generation: int = 0
    """Which version of the connection this was read from (changing it starts another): a
    handle read before a change never builds a live backend that outlives it."""

    @property
    def dialect(self) -> str:
        """The SQLGlot dialect of the connection's SQL."""
        return self.backend.quirks.dialect

    @property
    def embedded(self) -> bool:
        """Whether the engine runs in this process (its calls go on the embedded lane)."""
        return self.backend.embedded
