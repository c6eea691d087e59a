"""The identity a warehouse sees for a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SHARED = "shared"


class IdentityError(ValueError):
    """No identity can be found for this user on this connection; the message says why."""


@dataclass(frozen=True)
class Principal:
    """Who runs a query, as the warehouse sees it.

    ``key`` names the live backend built for this identity (one per principal, so caches and
    connections never mix identities); ``name`` is what the audit log shows, as the backend
    names it (e.g. ``user:alice@example.com``); ``credentials``, when set, is a factory of the
    credentials that replace the connection's own.
    """

    key: str
    name: str
    credentials: Callable[[], Any] | None = field(default=None, compare=False, repr=False)


def user_key_prefix(user_id: int) -> str:
    """The start of every backend key of a user's own grants."""
    return f"user:{user_id}:"


def user_of_key(key: str) -> int | None:
    """The user whose own grant a backend key is of, if it is one's."""
    kind, _, rest = key.partition(":")
    user, _, _ = rest.partition(":")
    return int(user) if kind == "user" and user.isdigit() else None


#: The connection's own identity, shared by everyone who uses it.
CONNECTION_IDENTITY = Principal(SHARED, "connection")
