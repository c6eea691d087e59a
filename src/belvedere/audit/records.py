"""Audit records are the runs themselves (one per query, whatever its outcome), read with
filters across users. Only admins read them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, or_, select

from belvedere.store.db import Database
from belvedere.store.models import QueryRun

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

#: Command-line runs record the operating-system account behind them in the run's actor:
#: ``cli:<account>`` for the operator, ``<user> via cli:<account>`` for ``--as <user>``.
CLI_SURFACE = "cli"
CLI_PREFIX = "cli:"
VIA_CLI = " via cli:"


def cli_actor(os_account: str, user: str | None = None) -> str:
    """The actor a command-line run records: the OS account, and the user it runs as."""
    return f"{user}{VIA_CLI}{os_account}" if user else f"{CLI_PREFIX}{os_account}"


def who(run: QueryRun) -> tuple[str, str | None]:
    """The user a run is audited as, and the OS account behind it (command-line runs)."""
    if run.surface != CLI_SURFACE:
        return run.actor, None
    user, via, account = run.actor.partition(VIA_CLI)
    if via:
        return user, account
    return run.actor, run.actor.removeprefix(CLI_PREFIX)


@dataclass(frozen=True)
class AuditFilter:
    """Which runs to read; every field narrows (``None``: any)."""

    user: str | None = None
    connection: str | None = None
    status: str | None = None
    surface: str | None = None
    principal: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    """Part of the SQL."""

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.user is not None:  # the user, also when run from the command line
            query = query.where(
                or_(
                    QueryRun.actor == self.user,
                    and_(
                        QueryRun.surface == CLI_SURFACE,
                        QueryRun.actor.startswith(f"{self.user}{VIA_CLI}", autoescape=True),
                    ),
                )
            )
        equal = {
            QueryRun.connection_name: self.connection,
            QueryRun.status: self.status,
            QueryRun.surface: self.surface,
            QueryRun.principal: self.principal,
        }
        for column, value in equal.items():
            if value is not None:
                query = query.where(column == value)
        if self.since is not None:
            query = query.where(QueryRun.submitted_at >= self.since)
        if self.until is not None:
            query = query.where(QueryRun.submitted_at < self.until)
        if self.text:
            query = query.where(QueryRun.sql.contains(self.text, autoescape=True))
        return query


def duration_ms(run: QueryRun) -> float | None:
    """How long a run ran, if it started and ended."""
    if run.started_at is None or run.finished_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds() * 1000


class AuditLog:
    """Read, export and expire audit records."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def find(
        self, where: AuditFilter, *, limit: int, before: datetime | None = None
    ) -> list[QueryRun]:
        """Matching runs, newest first; ``before`` pages backwards."""
        query = where.apply(select(QueryRun))
        if before is not None:
            query = query.where(QueryRun.submitted_at < before)
        query = query.order_by(QueryRun.submitted_at.desc(), QueryRun.id.desc()).limit(limit)
        with self._db.session() as s:
            return list(s.scalars(query))

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
        """Delete runs submitted before ``cutoff`` (retention)."""
        with self._db.session() as s:
            result = s.execute(delete(QueryRun).where(QueryRun.submitted_at < cutoff))
            return int(result.rowcount)  # type: ignore[attr-defined]


def _row(run: QueryRun) -> list[Any]:
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
