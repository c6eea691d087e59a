"""Who a bearer token is, as the identity proxies decide it: the emulator's caller and groups
(:func:`judge`), or why the token is refused."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.google import (
    BIGQUERY_READONLY_SCOPE,
    BIGQUERY_SCOPE,
    CLOUD_PLATFORM_READONLY_SCOPE,
    CLOUD_PLATFORM_SCOPE,
    GoogleService,
)

CALLER = "x-bqemu-caller"
GROUPS = "x-bqemu-groups"
BIGQUERY_SCOPES = frozenset(
    {BIGQUERY_SCOPE, BIGQUERY_READONLY_SCOPE, CLOUD_PLATFORM_SCOPE, CLOUD_PLATFORM_READONLY_SCOPE}
)
"""A token needs one of these to be let through (as BigQuery asks)."""


@dataclass(frozen=True)
class Verdict:
    """Who a bearer token is, or why it is refused."""

    principal: str | None
    """``user:...`` or ``serviceAccount:...``; ``None`` when refused."""
    groups: tuple[str, ...] = ()
    """Groups the Google stand-in lists for the principal (``GoogleService.set_groups``)."""
    token: str | None = None
    refusal: str | None = None
    """``missing``, ``invalid`` (unknown, expired or revoked) or ``scope``."""


def judge(google: GoogleService, authorization: str | None) -> Verdict:
    """Decide on an ``Authorization`` header (or ``authorization`` metadata) value."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return Verdict(None, refusal="missing")
    info = google.token_info(token)
    if info is None or not info.valid:
        return Verdict(None, token=token, refusal="invalid")
    if not BIGQUERY_SCOPES & set(info.scopes):
        return Verdict(None, token=token, refusal="scope")
    return Verdict(info.principal, google.groups_of(info.principal), token)
