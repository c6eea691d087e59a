"""Audit records in the metadata store: the runs of every user, filtered, and their expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, or_, select

from belvedere.audit.records import CLI_SURFACE, VIA_CLI, AuditFilter
from belvedere.execution.runs import Surface
from belvedere.store.db import Database
from belvedere.store.models import QueryRun
from belvedere.store.runs import RunRecord


def _where(found: AuditFilter, query: Select[Any]) -> Select[Any]:
    if found.user is not None:  # the user, also when run from the command line
        query = query.where(
            or_(
                QueryRun.actor == found.user,
                and_(
                    QueryRun.surface == CLI_SURFACE,
                    QueryRun.actor.startswith(f"{found.user}{VIA_CLI}", autoescape=True),
                ),
            )
        )
    equal = {
        QueryRun.connection_name: found.connection,
        QueryRun.status: found.status,
        QueryRun.surface: found.surface,
        QueryRun.principal: found.principal,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if found.surface is None and not found.probes:
        query = query.where(QueryRun.surface != Surface.PROBE.value)
    if found.since is not None:
        query = query.where(QueryRun.submitted_at >= found.since)
    if found.until is not None:
        query = query.where(QueryRun.submitted_at < found.until)
    if found.text:
        query = query.where(QueryRun.sql.contains(found.text, autoescape=True))
    return query


class AuditRecords:
    """Repository of audit records (the runs, across users)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def find(
        self, where: AuditFilter, *, limit: int, before: datetime | None = None
    ) -> list[RunRecord]:
        """Matching runs, newest first; ``before`` pages backwards."""
        query = _where(where, select(QueryRun))
        if before is not None:
            query = query.where(QueryRun.submitted_at < before)
        query = query.order_by(QueryRun.submitted_at.desc(), QueryRun.id.desc()).limit(limit)
        with self._db.session() as s:
            return list(s.scalars(query))

    def purge_before(self, cutoff: datetime) -> int:
        """Delete runs submitted before ``cutoff``; how many there were."""
        with self._db.session() as s:
            result = s.execute(delete(QueryRun).where(QueryRun.submitted_at < cutoff))
            return int(result.rowcount)  # type: ignore[attr-defined]
