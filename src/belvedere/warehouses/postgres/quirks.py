"""PostgreSQL's quirks as data: dialect and SQLSTATE classes."""

from __future__ import annotations

from belvedere.warehouses.base import Quirks
from belvedere.warehouses.errors import ErrorKind

QUIRKS = Quirks(dialect="postgres", default_schema="public")

#: SQLSTATE (exact code first, then its two-character class) -> error kind.
SQLSTATE_KINDS: dict[str, ErrorKind] = {
    "42601": ErrorKind.SYNTAX,
    "42P01": ErrorKind.NOT_FOUND,
    "42703": ErrorKind.NOT_FOUND,
    "42883": ErrorKind.NOT_FOUND,
    "3F000": ErrorKind.NOT_FOUND,
    "42501": ErrorKind.ACCESS_DENIED,
    "25006": ErrorKind.ACCESS_DENIED,
    "57014": ErrorKind.CANCELLED,
    "53": ErrorKind.RESOURCE,
    "54": ErrorKind.RESOURCE,
    "08": ErrorKind.UNAVAILABLE,
    "57": ErrorKind.UNAVAILABLE,
    "28": ErrorKind.ACCESS_DENIED,
    "42": ErrorKind.INVALID,
    "22": ErrorKind.INVALID,
    "23": ErrorKind.INVALID,
    "0A": ErrorKind.INVALID,
}
