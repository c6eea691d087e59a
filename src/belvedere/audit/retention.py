"""Expire audit records (and history) past the retention period."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from belvedere.audit.log import AuditLog

log = logging.getLogger(__name__)
EVERY = timedelta(days=1)
"""How often a server expires old records."""


def expire_runs(audit: AuditLog, keep_days: int) -> int:
    """Delete runs older than ``keep_days`` (blocking); how many there were."""
    purged = audit.purge_before(datetime.now(UTC) - timedelta(days=keep_days))
    if purged:
        log.info("retention: deleted %d runs older than %d days", purged, keep_days)
    return purged
