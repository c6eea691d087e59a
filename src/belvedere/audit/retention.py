"""Expire audit records (runs and events) and history past the retention period."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from belvedere.audit.log import AuditLog

log = logging.getLogger(__name__)
EVERY = timedelta(days=1)
"""How often a server expires old records."""


def expire_records(audit: AuditLog, keep_days: int) -> int:
    """Delete runs and events older than ``keep_days`` (blocking); how many there were."""
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    runs = audit.purge_before(cutoff)
    events = audit.purge_events_before(cutoff)
    if runs or events:
        log.info(
            "retention: deleted %d runs and %d audit events older than %d days",
            runs,
            events,
            keep_days,
        )
    return runs + events
