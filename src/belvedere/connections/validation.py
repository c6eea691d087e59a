"""What a connection's definition must satisfy: its name, options and deadline."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from belvedere.warehouses.errors import OPTIONS_CONFLICT
from belvedere.warehouses.registry import backend_class

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: The longest deadline a connection may set.
MAX_TIMEOUT_SECONDS = 24 * 3600


class ConnectionInvalid(ValueError):
    """A connection's definition was refused; the message says why."""


class ConnectionConflict(ConnectionInvalid):
    """Options valid one by one that cannot work together (e.g. no credentials of its own,
    yet a per-user identity minted with them); the message says which and why."""


def validate_options(kind: str, options: dict[str, Any]) -> BaseModel:
    """Options checked against the backend's model (raises ``ConnectionInvalid``)."""
    try:
        model = backend_class(kind).options_model
        return model.model_validate(options)
    except LookupError as exc:
        raise ConnectionInvalid(str(exc)) from None
    except ValidationError as exc:
        conflicts = [e["msg"] for e in exc.errors() if e["type"] == OPTIONS_CONFLICT]
        if conflicts:
            raise ConnectionConflict(
                f"These {kind} options cannot work together: {'; '.join(conflicts)}."
            ) from None
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in exc.errors()
        )
        raise ConnectionInvalid(f"invalid {kind} options: {problems}") from None


def check_name(name: str) -> None:
    """Refuse a name that is not 1 to 64 safe characters."""
    if not NAME.match(name):
        raise ConnectionInvalid(
            "a connection name is 1 to 64 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )


def check_timeout(timeout_seconds: float | None) -> None:
    """Refuse a deadline outside (0, one day]."""
    if timeout_seconds is not None and not 0 < timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise ConnectionInvalid("a connection's timeout is between 0 and 86400 seconds")
