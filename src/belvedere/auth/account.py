"""The signed-in user as the web layer and the services read it: a read-only view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Account(Protocol):
    """A user account, read-only (the store's rows satisfy it; nothing may change it)."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def groups(self) -> Sequence[str]:
        """Groups from the identity provider at the last sign-in."""
        ...

    @property
    def timezone(self) -> str | None:
        """Where the user's days start (an IANA name); ``None``: the server's time zone."""
        ...

    @property
    def has_password(self) -> bool:
        """Whether the account can sign in with a password."""
        ...

    @property
    def single_sign_on(self) -> bool:
        """Whether the account signs in through OpenID Connect."""
        ...
