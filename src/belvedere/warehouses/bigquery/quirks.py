"""BigQuery's quirks as data: dialect, error reasons, label rules."""

from __future__ import annotations

import re

from belvedere.warehouses.base import Quirks
from belvedere.warehouses.errors import ErrorKind, ErrorRule

QUIRKS = Quirks(
    dialect="bigquery",
    test_sql="SELECT 1",
    error_rules=(
        ErrorRule.of(r"^Syntax error", ErrorKind.SYNTAX),
        ErrorRule.of(r"^Unrecognized name|^Not found:|was not found", ErrorKind.NOT_FOUND),
        ErrorRule.of(r"^Access Denied|permission", ErrorKind.ACCESS_DENIED),
        ErrorRule.of(r"bytes billed|maximum bytes billed", ErrorKind.BYTE_CAP),
        ErrorRule.of(r"^Quota exceeded|rate limit", ErrorKind.QUOTA),
        ErrorRule.of(r"cancel", ErrorKind.CANCELLED),
    ),
)

#: BigQuery error ``reason`` -> kind, used when no message rule matched.
REASON_KINDS: dict[str, ErrorKind] = {
    "invalidQuery": ErrorKind.INVALID,
    "invalid": ErrorKind.INVALID,
    "duplicate": ErrorKind.INVALID,
    "notFound": ErrorKind.NOT_FOUND,
    "accessDenied": ErrorKind.ACCESS_DENIED,
    "quotaExceeded": ErrorKind.QUOTA,
    "rateLimitExceeded": ErrorKind.QUOTA,
    "bytesBilledLimitExceeded": ErrorKind.BYTE_CAP,
    "billingTierLimitExceeded": ErrorKind.RESOURCE,
    "responseTooLarge": ErrorKind.RESOURCE,
    "resourcesExceeded": ErrorKind.RESOURCE,
    "backendError": ErrorKind.UNAVAILABLE,
    "internalError": ErrorKind.UNAVAILABLE,
    "stopped": ErrorKind.CANCELLED,
}

#: Errors point at "[line:column]" in the SQL.
POSITION = re.compile(r"at \[(?P<line>\d+):(?P<column>\d+)\]")

#: What a label value may hold (lowercase letters, digits, '_' and '-'; 63 characters).
LABEL_INVALID = re.compile(r"[^a-z0-9_-]")
LABEL_MAX = 63


def label_value(text: str) -> str:
    """A string made fit to be a job label's value."""
    return LABEL_INVALID.sub("_", text.lower())[:LABEL_MAX]
