"""Time zones as the API takes them: IANA names, checked."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError


def _iana_zone(name: str | None) -> str | None:
    """An IANA time zone's name, as given; ``""`` (the server's time zone) as ``""``."""
    if name:
        try:
            if name != name.strip() or name.startswith(("/", ".")) or ".." in name:
                raise ValueError(name)
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "timezone",
                "unknown time zone '{name}': use an IANA name such as 'Europe/Paris'",
                {"name": name},
            ) from None
    return name


TimeZoneName = Annotated[str | None, AfterValidator(_iana_zone)]
"""An IANA time zone (``Europe/Paris``); ``""`` or null: the server's."""
