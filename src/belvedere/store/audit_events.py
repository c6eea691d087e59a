"""Audit events in the metadata store (blocking): recorded in the transaction of the change
they tell of (:func:`add_events`) or on their own, read with filters, and expired."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from belvedere.audit.events import EventDraft, EventFilter, EventRecord
from belvedere.store.db import Database
from belvedere.store.models import AuditEvent, User, utcnow


def add_events(session: Session, drafts: Iterable[EventDraft]) -> None:
    """Record events in ``session``'s transaction: they are kept if, and only if, the change
    they tell of is."""
    for draft in drafts:
        session.add(
            AuditEvent(
                at=utcnow(),
                actor_id=draft.actor_id,
                action=draft.action.value,
                object_kind=draft.object_kind.value,
                object_id=draft.object_id,
                details=dict(draft.details),
            )
        )


def _where(found: EventFilter, query: Select[AuditEvent, str]) -> Select[AuditEvent, str]:
    if found.actor is not None:
        query = query.where(User.username == found.actor)
    equal = {
        AuditEvent.action: found.action,
        AuditEvent.object_kind: found.object_kind,
        AuditEvent.object_id: found.object_id,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == str(value))
    if found.since is not None:
        query = query.where(AuditEvent.at >= found.since)
    if found.until is not None:
        query = query.where(AuditEvent.at < found.until)
    return query


class AuditEvents:
    """Repository of audit events."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, *drafts: EventDraft) -> None:
        """Record events in a transaction of their own."""
        with self._db.session() as s:
            add_events(s, drafts)

    def find(
        self, where: EventFilter, *, limit: int, before: datetime | None = None
    ) -> list[EventRecord]:
        """Matching events, newest first; ``before`` pages backwards."""
        query = _where(
            where,
            select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id),
        )
        if before is not None:
            query = query.where(AuditEvent.at < before)
        query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
        with self._db.session() as s:
            return [
                EventRecord(
                    id=row.id,
                    at=row.at,
                    actor_id=row.actor_id,
                    actor=username,
                    action=row.action,
                    object_kind=row.object_kind,
                    object_id=row.object_id,
                    details=row.details or {},
                )
                for row, username in s.execute(query)
            ]

    def purge_before(self, cutoff: datetime) -> int:
        """Delete events before ``cutoff``; how many there were."""
        with self._db.session() as s:
            result = s.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
            return int(result.rowcount)  # type: ignore[attr-defined]
