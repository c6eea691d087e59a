"""The identity REST proxy: an :class:`~tests.support.faults.HttpProxy` in front of the
emulator's REST API whose header hook sets the caller from ``Authorization: Bearer <token>``,
and refuses a missing, unknown, expired or unscoped token as Google does (401/403 in BigQuery's
error shape)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.faults import HttpProxy, RecordedRequest, Refuse, bq_error
from tests.support.google import (
    INSUFFICIENT_SCOPES,
    INVALID_CREDENTIALS,
    MISSING_CREDENTIALS,
    GoogleService,
)
from tests.support.identity.callers import CALLER, GROUPS, judge


def _refusal_body(refusal: str) -> tuple[int, dict[str, Any]]:
    if refusal == "scope":
        body = bq_error(403, "insufficientPermissions", INSUFFICIENT_SCOPES)
        body["error"]["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
            }
        ]
        return 403, body
    if refusal == "missing":
        body = bq_error(401, "required", MISSING_CREDENTIALS)
    else:
        body = bq_error(401, "authError", INVALID_CREDENTIALS)
    body["error"]["errors"][0].update(
        {
            "message": "Invalid Credentials" if refusal == "invalid" else "Login Required.",
            "location": "Authorization",
            "locationType": "header",
        }
    )
    return 401, body


def identity_headers(
    google: GoogleService,
) -> Callable[[RecordedRequest, dict[str, str]], dict[str, str]]:
    """The :class:`HttpProxy` header hook: caller (and groups) from the bearer token."""

    def rewrite(request: RecordedRequest, headers: dict[str, str]) -> dict[str, str]:
        verdict = judge(google, headers.get("authorization"))
        if verdict.principal is None:
            assert verdict.refusal is not None
            raise Refuse(*_refusal_body(verdict.refusal))
        out = {k: v for k, v in headers.items() if k not in (CALLER, GROUPS)}
        out[CALLER] = verdict.principal
        if verdict.groups:
            out[GROUPS] = ",".join(verdict.groups)
        return out

    return rewrite


def identity_rest_proxy(upstream: str, google: GoogleService) -> HttpProxy:
    """An :class:`HttpProxy` in front of ``upstream`` (the emulator's REST URL) that forwards
    each request as the caller its bearer token belongs to. Its recordings show what went
    upstream: ``request.sent_headers["x-bqemu-caller"]``."""
    return HttpProxy(upstream, rewrite_headers=identity_headers(google))


def caller_of(request: RecordedRequest) -> str | None:
    """The caller a REST request was forwarded as (``None``: refused or not forwarded)."""
    return (request.sent_headers or {}).get(CALLER)
