"""What the HTTP fault proxy records of a BigQuery REST request, and the answers it makes up:
:class:`RecordedRequest` (with the API method it calls, e.g. ``jobs.insert``), predicates that
pick requests (:func:`kind_is`, :func:`mentions`), :func:`bq_error` bodies, and :class:`Refuse`
for header hooks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = [
    (method, re.compile(f"^{pattern}$"), kind)
    for method, pattern, kind in [
        ("POST", r"projects/[^/]+/jobs", "jobs.insert"),
        ("GET", r"projects/[^/]+/jobs", "jobs.list"),
        ("GET", r"projects/[^/]+/jobs/[^/]+", "jobs.get"),
        ("POST", r"projects/[^/]+/jobs/[^/]+/cancel", "jobs.cancel"),
        ("DELETE", r"projects/[^/]+/jobs/[^/]+(/delete)?", "jobs.delete"),
        ("POST", r"projects/[^/]+/queries", "jobs.query"),
        ("GET", r"projects/[^/]+/queries/[^/]+", "jobs.getQueryResults"),
        ("GET", r"projects", "projects.list"),
        ("GET", r"projects/[^/]+/datasets", "datasets.list"),
        ("POST", r"projects/[^/]+/datasets", "datasets.insert"),
        ("GET", r"projects/[^/]+/datasets/[^/]+", "datasets.get"),
        ("DELETE", r"projects/[^/]+/datasets/[^/]+", "datasets.delete"),
        ("GET", r"projects/[^/]+/datasets/[^/]+/tables", "tables.list"),
        ("POST", r"projects/[^/]+/datasets/[^/]+/tables", "tables.insert"),
        ("GET", r"projects/[^/]+/datasets/[^/]+/tables/[^/]+", "tables.get"),
        ("DELETE", r"projects/[^/]+/datasets/[^/]+/tables/[^/]+", "tables.delete"),
        ("GET", r"projects/[^/]+/datasets/[^/]+/tables/[^/]+/data", "tabledata.list"),
        ("POST", r"projects/[^/]+/datasets/[^/]+/tables/[^/]+/insertAll", "tabledata.insertAll"),
    ]
]
STATUS_NAMES = {
    400: ("INVALID_ARGUMENT", "invalid"),
    401: ("UNAUTHENTICATED", "authError"),
    403: ("PERMISSION_DENIED", "accessDenied"),
    404: ("NOT_FOUND", "notFound"),
    409: ("ALREADY_EXISTS", "duplicate"),
    429: ("RESOURCE_EXHAUSTED", "rateLimitExceeded"),
    500: ("INTERNAL", "backendError"),
    502: ("UNAVAILABLE", "backendError"),
    503: ("UNAVAILABLE", "backendError"),
}


def bq_error(code: int, reason: str | None = None, message: str | None = None) -> dict[str, Any]:
    """An error body in BigQuery's JSON shape, e.g. ``bq_error(403, "accessDenied", "...")``."""
    status, default_reason = STATUS_NAMES.get(code, ("UNKNOWN", "backendError"))
    reason = reason or default_reason
    message = message or f"{reason} (from the test proxy)"
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": status,
        }
    }


@dataclass
class RecordedRequest:
    """One request the proxy received."""

    method: str
    path: str
    """Without the query string, e.g. ``/bigquery/v2/projects/p/jobs``."""
    params: dict[str, str]
    """Query string parameters (the last value of a repeated one)."""
    headers: dict[str, str]
    """Lower-case names."""
    body: Any
    """Parsed JSON, or ``None`` (no body, or not JSON)."""
    time: float
    """``time.monotonic()`` when it arrived."""
    status: int | None = None
    """The status the client got; ``None`` while pending, or when hung or reset."""
    sent_headers: dict[str, str] | None = None
    """The headers forwarded upstream (lower-case names, after ``rewrite_headers``); ``None``
    when it was not forwarded (a fault answered it, or the hook refused it)."""

    @property
    def kind(self) -> str:
        """The BigQuery API method, e.g. ``jobs.insert``; else ``METHOD /path``."""
        tail = self.path.removeprefix("/bigquery/v2").strip("/")
        for method, pattern, kind in KINDS:
            if method == self.method and pattern.match(tail):
                return kind
        return f"{self.method} {self.path}"

    @property
    def sql(self) -> str | None:
        """The SQL of a jobs.insert query job or a jobs.query call."""
        if not isinstance(self.body, dict):
            return None
        if self.kind == "jobs.query":
            return self.body.get("query")
        if self.kind == "jobs.insert":
            query = self.body.get("configuration", {}).get("query", {})
            return query.get("query") if isinstance(query, dict) else None
        return None


Predicate = Callable[[RecordedRequest], bool]

HeaderRewrite = Callable[[RecordedRequest, dict[str, str]], dict[str, str]]
"""Given a request and the headers about to be forwarded (lower-case names, hop-by-hop ones
left out), the headers to forward instead; or raises :class:`Refuse`. Runs on the proxy's loop
thread: it must be quick and thread-safe."""


class Refuse(Exception):
    """Raised by a :data:`HeaderRewrite` hook: answer ``code`` with the JSON ``body`` instead of
    forwarding the request."""

    def __init__(self, code: int, body: Any) -> None:
        super().__init__(code)
        self.code = code
        self.body = body


def kind_is(*kinds: str) -> Predicate:
    """Requests of these API methods, e.g. ``kind_is("jobs.getQueryResults", "jobs.get")``."""
    return lambda request: request.kind in kinds


def mentions(text: str) -> Predicate:
    """Requests whose SQL or path mentions ``text`` (case-insensitive), e.g. a dataset id."""
    lowered = text.lower()
    return lambda request: lowered in (request.sql or "").lower() or lowered in request.path.lower()
