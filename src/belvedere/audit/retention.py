"""Expire audit records (and history) past the retention period, once a day."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from belvedere.audit.records import AuditLog
from belvedere.execution.service import ExecutionService
from belvedere.store.models import utcnow

log = logging.getLogger(__name__)
EVERY = timedelta(days=1)


async def expire_forever(audit: AuditLog, execution: ExecutionService, keep_days: int) -> None:
    """Purge now, then once a day, until cancelled."""
    while True:
        try:
            purged = await execution.io(audit.purge_before, utcnow() - timedelta(days=keep_days))
            if purged:
                log.info("retention: deleted %d runs older than %d days", purged, keep_days)
        except Exception:
            log.exception("retention purge failed; it will be tried again")
        await asyncio.sleep(EVERY.total_seconds())
