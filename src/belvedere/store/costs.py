"""Cost rules, one-off raises and what users spent, in the metadata store (blocking); audit
events of a change are written in its transaction."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, case, func, select, text, update
from sqlalchemy.orm import Session

from belvedere.audit.events import EventDraft
from belvedere.costs.model import Raise, Rule, Scope
from belvedere.execution.runs import ACTIVE, RunStatus
from belvedere.store.audit_events import add_events
from belvedere.store.cost_tables import CostRaise, CostRule
from belvedere.store.db import Database
from belvedere.store.models import QueryRun, User, utcnow
from belvedere.store.payer import paid_by

_ACTIVE = [status.value for status in ACTIVE]
#: Runs ended by someone else than their worker: what their job billed may be unknown.
_STOPPED = [RunStatus.CANCELLED.value, RunStatus.TIMED_OUT.value]


@dataclass(frozen=True)
class Pool:
    """Whose runs a budget counts (one user, or a group's members), since when, up to what."""

    user_ids: tuple[int, ...]
    since: datetime
    limit: int


def _rule(row: CostRule | Row[Any]) -> Rule:
    """A rule from its ORM row or a Core row of ``cost_rules``."""
    return Rule(
        id=row.id,
        connection=row.connection_name,
        scope=Scope(row.scope),
        subject=row.subject,
        max_bytes_per_query=row.max_bytes_per_query,
        daily_bytes=row.daily_bytes,
        monthly_bytes=row.monthly_bytes,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _raise(row: CostRaise) -> Raise:
    return Raise(
        id=row.id,
        user_id=row.user_id,
        connection=row.connection_name,
        max_bytes=row.max_bytes,
        reason=row.reason,
        granted_by=row.granted_by,
        granted_at=row.granted_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        used_by_run=row.used_by_run,
        used_at=row.used_at,
    )


def _spent_query(
    connection: str, user_ids: Sequence[int], since: datetime, excluding: str | None = None
) -> Select[tuple[int]]:
    """Billed bytes of ended runs charged to the users plus estimated bytes of active ones
    (their reservation), but for the run ``excluding``. A run cancelled or timed out whose
    job's bill is unknown counts its estimate: its job may have billed it all, and a cancel
    just before the end must not make a query free."""
    amount = case(
        (QueryRun.status.in_(_ACTIVE), func.coalesce(QueryRun.bytes_estimated, 0)),
        (QueryRun.bytes_billed.is_not(None), QueryRun.bytes_billed),
        (QueryRun.status.in_(_STOPPED), func.coalesce(QueryRun.bytes_estimated, 0)),
        else_=0,
    )
    query = select(func.coalesce(func.sum(amount), 0)).where(
        QueryRun.connection_name == connection,
        paid_by(user_ids),
        QueryRun.submitted_at >= since,
    )
    return query if excluding is None else query.where(QueryRun.id != excluding)


_ORDER = (CostRule.connection_name, CostRule.scope, CostRule.subject)
_RULES = CostRule.metadata.tables["cost_rules"]
_RULES_OF = (
    select(_RULES).where(_RULES.c.connection_name == bindparam("connection")).order_by(*_ORDER)
)


class _Refused(Exception):
    def __init__(self, spent: list[int]) -> None:
        self.spent = spent


class CostStore:
    """Repository of cost rules and raises, and of spend as the runs record it."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._generation = 0
        self._generation_lock = threading.Lock()

    @property
    def rules_generation(self) -> int:
        """Counts the changes of rules made through this store, once committed: rules read
        before a change are not used after it (see ``CostPolicy.rules``)."""
        return self._generation

    def _rules_changed(self) -> None:
        with self._generation_lock:
            self._generation += 1

    # -- rules ---------------------------------------------------------------------------
    def rules(self, connection: str | None = None) -> list[Rule]:
        """Every rule (of one connection), by connection, scope and subject."""
        if connection is None:
            with self._db.session() as s:
                return [_rule(row) for row in s.scalars(select(CostRule).order_by(*_ORDER))]
        # Read before every query on a connection billed by bytes: a prepared Core statement.
        with self._db.engine.connect() as c:
            rows = c.execute(_RULES_OF, {"connection": connection}).all()
        return [_rule(row) for row in rows]

    def rule(self, rule_id: int) -> Rule | None:
        """A rule by id."""
        with self._db.session() as s:
            row = s.get(CostRule, rule_id)
            return _rule(row) if row is not None else None

    def set_rule(
        self,
        connection: str,
        scope: Scope,
        subject: str,
        *,
        max_bytes_per_query: int | None,
        daily_bytes: int | None,
        monthly_bytes: int | None,
        actor_id: int | None,
        event_for: Callable[[Rule | None, Rule], EventDraft] | None = None,
    ) -> Rule:
        """Create or change the rule of (connection, scope, subject); ``event_for(before,
        after)`` is recorded in the same transaction."""
        with self._db.session() as s:
            row = s.scalar(
                select(CostRule).where(
                    CostRule.connection_name == connection,
                    CostRule.scope == scope.value,
                    CostRule.subject == subject,
                )
            )
            before = _rule(row) if row is not None else None
            if row is None:
                row = CostRule(connection_name=connection, scope=scope.value, subject=subject)
                s.add(row)
            row.max_bytes_per_query = max_bytes_per_query
            row.daily_bytes = daily_bytes
            row.monthly_bytes = monthly_bytes
            row.updated_by = actor_id
            row.updated_at = utcnow()
            s.flush()
            after = _rule(row)
            if event_for is not None:
                add_events(s, [event_for(before, after)])
        self._rules_changed()
        return after

    def delete_rule(self, rule_id: int, event: EventDraft | None) -> Rule | None:
        """Delete a rule (and record ``event``); the rule as it was, or ``None``."""
        with self._db.session() as s:
            row = s.get(CostRule, rule_id)
            if row is None:
                return None
            gone = _rule(row)
            s.delete(row)
            if event is not None:
                add_events(s, [event])
        self._rules_changed()
        return gone

    # -- spend ---------------------------------------------------------------------------
    def spent(self, connection: str, user_ids: Sequence[int], since: datetime) -> int:
        """Bytes the runs charged to the users (see :mod:`belvedere.store.payer`) on the
        connection submitted since ``since`` billed, plus the estimates of those still queued
        or running."""
        if not user_ids:
            return 0
        with self._db.session() as s:
            return int(s.scalar(_spent_query(connection, user_ids, since)) or 0)

    def users_in_group(self, group: str) -> list[int]:
        """The active users whose groups hold ``group``."""
        query = select(User.id, User.groups).where(User.is_active.is_(True))
        with self._db.session() as s:
            return [uid for uid, groups in s.execute(query) if group in (groups or [])]

    def reserve(
        self, run_id: str, connection: str, estimate: int, pools: Sequence[Pool]
    ) -> list[int] | None:
        """Record a run's estimate (its reservation of budget) unless, with it, one of the
        ``pools`` would spend beyond its limit: ``None`` once reserved, else what each pool
        spent without it (nothing recorded). Concurrent reservations on a connection take
        turns, so that they cannot all pass."""
        try:
            with self._db.session() as s:
                self._lock(s, connection)
                s.execute(
                    update(QueryRun)
                    .where(QueryRun.id == run_id, QueryRun.status.in_(_ACTIVE))
                    .values(bytes_estimated=estimate)
                )
                spent = [
                    int(s.scalar(_spent_query(connection, p.user_ids, p.since, run_id)) or 0)
                    for p in pools
                ]
                if any(sp + estimate > p.limit for sp, p in zip(spent, pools, strict=True)):
                    raise _Refused(spent)  # rolls the reservation back
        except _Refused as refused:
            return refused.spent
        return None

    def _lock(self, s: Session, connection: str) -> None:
        """Hold the connection's spend lock until the transaction ends (PostgreSQL; on SQLite
        the first write takes the database's lock, which serializes as well)."""
        if s.get_bind().dialect.name == "postgresql":
            digest = hashlib.sha256(f"belvedere spend {connection}".encode()).digest()
            key = int.from_bytes(digest[:8], "big", signed=True)
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    # -- raises --------------------------------------------------------------------------
    def grant_raise(
        self,
        user_id: int,
        connection: str,
        max_bytes: int,
        reason: str,
        granted_by: int | None,
        expires_at: datetime,
        event_for: Callable[[Raise], EventDraft] | None = None,
    ) -> Raise:
        """Grant a one-off raise; ``event_for(raise)`` is recorded in the same transaction."""
        with self._db.session() as s:
            row = CostRaise(
                user_id=user_id,
                connection_name=connection,
                max_bytes=max_bytes,
                reason=reason,
                granted_by=granted_by,
                granted_at=utcnow(),
                expires_at=expires_at,
            )
            s.add(row)
            s.flush()
            granted = _raise(row)
            if event_for is not None:
                add_events(s, [event_for(granted)])
            return granted

    def raises(
        self,
        *,
        user_id: int | None = None,
        connection: str | None = None,
        usable_at: datetime | None = None,
    ) -> list[Raise]:
        """Raises, newest first; ``usable_at``: only those neither used, revoked nor expired
        then."""
        query = select(CostRaise).order_by(CostRaise.granted_at.desc(), CostRaise.id.desc())
        if user_id is not None:
            query = query.where(CostRaise.user_id == user_id)
        if connection is not None:
            query = query.where(CostRaise.connection_name == connection)
        if usable_at is not None:
            query = query.where(
                CostRaise.used_by_run.is_(None),
                CostRaise.revoked_at.is_(None),
                CostRaise.expires_at > usable_at,
            )
        with self._db.session() as s:
            return [_raise(row) for row in s.scalars(query)]

    def get_raise(self, raise_id: int) -> Raise | None:
        """A raise by id."""
        with self._db.session() as s:
            row = s.get(CostRaise, raise_id)
            return _raise(row) if row is not None else None

    def revoke_raise(self, raise_id: int, event: EventDraft | None) -> Raise | None:
        """Revoke a raise not yet used or revoked (and record ``event``); the raise as it is
        now, or ``None`` if there is no such raise."""
        with self._db.session() as s:
            row = s.get(CostRaise, raise_id)
            if row is None:
                return None
            if row.revoked_at is None and row.used_by_run is None:
                row.revoked_at = utcnow()
                if event is not None:
                    add_events(s, [event])
            s.flush()
            return _raise(row)

    def use_raise(self, raise_id: int, run_id: str, event: EventDraft | None) -> bool:
        """Mark a usable raise used by ``run_id`` (once: compare-and-set) and record
        ``event``; ``False`` if it was used, revoked or expired meanwhile."""
        now = utcnow()
        with self._db.session() as s:
            moved = s.execute(
                update(CostRaise)
                .where(
                    CostRaise.id == raise_id,
                    CostRaise.used_by_run.is_(None),
                    CostRaise.revoked_at.is_(None),
                    CostRaise.expires_at > now,
                )
                .values(used_by_run=run_id, used_at=now)
            ).rowcount  # type: ignore[attr-defined]
            if moved and event is not None:
                add_events(s, [event])
            return bool(moved)
