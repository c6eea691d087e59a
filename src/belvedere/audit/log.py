"""The audit log: admins read every user's runs and the changes worth auditing (events) with
filters, export the runs as CSV, and old records expire."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from belvedere.audit.events import EventFilter, EventRecord
from belvedere.audit.records import AuditFilter, duration_ms, who
from belvedere.store.audit import AuditRecords
from belvedere.store.audit_events import AuditEvents
from belvedere.store.runs import RunRecord

#: Columns of the CSV export, in order.
CSV_COLUMNS = (
    "submitted_at",
    "finished_at",
    "user",
    "os_account",
    "principal",
    "connection",
    "surface",
    "status",
    "duration_ms",
    "rows",
    "bytes_estimated",
    "bytes_processed",
    "bytes_billed",
    "job_id",
    "error_code",
    "error_message",
    "sql",
    "run_id",
)
EXPORT_PAGE = 1000


class AuditLog:
    """Read, export and expire audit records (blocking: call it on the io lane)."""

    def __init__(self, records: AuditRecords, events: AuditEvents) -> None:
        self._records = records
        self._events = events

    def find(
        self, where: AuditFilter, *, limit: int, before: datetime | None = None
    ) -> list[RunRecord]:
        """Matching runs, newest first; ``before`` pages backwards."""
        return self._records.find(where, limit=limit, before=before)

    def csv_chunks(self, where: AuditFilter, max_rows: int) -> Iterator[bytes]:
        """Matching runs as CSV, newest first, page by page."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        before: datetime | None = None
        written = 0
        while written < max_rows:
            runs = self.find(where, limit=min(EXPORT_PAGE, max_rows - written), before=before)
            for run in runs:
                writer.writerow(_row(run))
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
            written += len(runs)
            if len(runs) < EXPORT_PAGE:
                return
            before = runs[-1].submitted_at

    def purge_before(self, cutoff: datetime) -> int:
        """Delete runs submitted before ``cutoff`` (retention); how many there were."""
        return self._records.purge_before(cutoff)

    def find_events(
        self, where: EventFilter, *, limit: int, before: datetime | None = None
    ) -> list[EventRecord]:
        """Matching events, newest first; ``before`` pages backwards."""
        return self._events.find(where, limit=limit, before=before)

    def purge_events_before(self, cutoff: datetime) -> int:
        """Delete events before ``cutoff`` (retention); how many there were."""
        return self._events.purge_before(cutoff)


def _row(run: RunRecord) -> list[Any]:
    user, os_account = who(run)
    return [
        run.submitted_at.isoformat(),
        run.finished_at.isoformat() if run.finished_at else "",
        user,
        os_account or "",
        run.principal or "",
        run.connection_name,
        run.surface,
        run.status,
        f"{d:.0f}" if (d := duration_ms(run)) is not None else "",
        run.row_count if run.row_count is not None else "",
        run.bytes_estimated if run.bytes_estimated is not None else "",
        run.bytes_processed if run.bytes_processed is not None else "",
        run.bytes_billed if run.bytes_billed is not None else "",
        run.job_id or "",
        run.error_code or "",
        run.error_message or "",
        run.sql,
        run.id,
    ]
