"""Errors a warehouse reports, as kinds a user understands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

#: The pydantic error type a backend's options model raises for options valid one by one that
#: cannot work together (refused with 422 when saved).
OPTIONS_CONFLICT = "options_conflict"


class ErrorKind(StrEnum):
    """What went wrong, independent of the warehouse."""

    SYNTAX = "syntax_error"
    NOT_FOUND = "not_found"
    ACCESS_DENIED = "access_denied"
    INVALID = "invalid_query"
    RESOURCE = "resource_exceeded"
    QUOTA = "quota_exceeded"
    BYTE_CAP = "byte_cap_exceeded"
    BUDGET = "budget_exceeded"
    """The estimate is beyond what is left of a budget of bytes billed (no job started)."""
    UNAVAILABLE = "warehouse_unavailable"
    CANCELLED = "cancelled"
    AUTHORIZATION = "authorization_required"
    """The user's own grant is missing, expired or revoked: they must authorize again."""
    INTERNAL = "warehouse_error"
    RESULT_TOO_LARGE = "result_too_large"
    """The result is bigger than the results store takes (not the warehouse's doing)."""
    RESULTS_UNAVAILABLE = "results_unavailable"
    """The results store could not be reached to keep the result (not the warehouse's doing)."""


#: Kinds caused by what the user wrote (HTTP 400), as opposed to the warehouse's state.
USER_ERROR_KINDS = frozenset(
    {
        ErrorKind.SYNTAX,
        ErrorKind.NOT_FOUND,
        ErrorKind.ACCESS_DENIED,
        ErrorKind.INVALID,
        ErrorKind.RESOURCE,
        ErrorKind.QUOTA,
        ErrorKind.BYTE_CAP,
        ErrorKind.BUDGET,
    }
)


class WarehouseError(Exception):
    """A warehouse refused or failed a request. ``line`` and ``column`` are 1-based;
    ``connection`` names the connection where the caller knows it (an authorization error is
    answered with the link that authorizes it)."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        connection: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.connection = connection


@dataclass(frozen=True)
class ErrorRule:
    """One row of a backend's error table: a pattern, its kind, and an optional hint."""

    pattern: re.Pattern[str]
    kind: ErrorKind
    hint: str = ""

    @classmethod
    def of(cls, pattern: str, kind: ErrorKind, hint: str = "") -> ErrorRule:
        return cls(re.compile(pattern, re.IGNORECASE | re.DOTALL), kind, hint)


def classify(message: str, rules: tuple[ErrorRule, ...]) -> tuple[ErrorKind, str] | None:
    """The first rule matching a message: its kind and hint."""
    for rule in rules:
        if rule.pattern.search(message):
            return rule.kind, rule.hint
    return None


#: Matches the name an error message complains about, e.g. ``Table with name "x" does not exist``.
NAMED_TOKEN = re.compile(
    r'(?:table|column|function|schema|relation) (?:with name )?"?(?P<token>[\w.]+)"?',
    re.IGNORECASE,
)


def locate_named_token(message: str, sql: str) -> tuple[int, int] | None:
    """Line and column of the first word in ``sql`` that the error message names."""
    match = NAMED_TOKEN.search(message)
    if match is None:
        return None
    found = re.search(rf"(?<!\w){re.escape(match['token'])}(?![\w])", sql, re.IGNORECASE)
    return line_and_column(sql, found.start()) if found else None


def line_and_column(sql: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a 0-based character offset in ``sql``."""
    offset = max(0, min(offset, len(sql)))
    before = sql[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return line, column
