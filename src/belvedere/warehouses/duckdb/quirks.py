"""DuckDB's quirks as data: dialect, exception classes and message patterns."""

from __future__ import annotations

import re

from belvedere.warehouses.base import Quirks
from belvedere.warehouses.errors import ErrorKind, ErrorRule

QUIRKS = Quirks(
    dialect="duckdb",
    default_schema="main",
    error_rules=(
        ErrorRule.of(r"^Binder Error: Referenced column .* not found", ErrorKind.NOT_FOUND),
        ErrorRule.of(
            r"read-only mode|read only", ErrorKind.ACCESS_DENIED, "This connection is read-only."
        ),
        ErrorRule.of(r"^Out of Memory Error", ErrorKind.RESOURCE),
    ),
)

#: DuckDB exception class name -> error kind (first the message table is consulted).
EXCEPTION_KINDS: dict[str, ErrorKind] = {
    "ParserException": ErrorKind.SYNTAX,
    "SyntaxException": ErrorKind.SYNTAX,
    "CatalogException": ErrorKind.NOT_FOUND,
    "BinderException": ErrorKind.INVALID,
    "PermissionException": ErrorKind.ACCESS_DENIED,
    "InterruptException": ErrorKind.CANCELLED,
    "OutOfMemoryException": ErrorKind.RESOURCE,
    "ConversionException": ErrorKind.INVALID,
    "InvalidInputException": ErrorKind.INVALID,
    "ConstraintException": ErrorKind.INVALID,
    "NotImplementedException": ErrorKind.INVALID,
    "TypeMismatchException": ErrorKind.INVALID,
    "OutOfRangeException": ErrorKind.INVALID,
    "IOException": ErrorKind.UNAVAILABLE,
}

#: "LINE 3: select x form y" followed by a caret line; DuckDB may elide the line's start with "...".
POSITION = re.compile(r"\n\s*LINE (?P<line>\d+): (?P<text>[^\n]*)\n(?P<caret> *)\^")
