"""Budget notices in the metadata store (blocking): a budget that reached 80% or 100% in one
period, claimed once (the table's uniqueness: whichever server sees it first tells it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from belvedere.store.cost_tables import BudgetNotice
from belvedere.store.db import Database
from belvedere.store.models import utcnow


@dataclass(frozen=True)
class Notice:
    """A budget at ``level`` percent in one period: ``scope`` ``user`` (``subject`` the user's
    id) or ``group`` (its name); ``period_start`` ``2026-12-07`` or ``2026-12``."""

    connection: str
    scope: str
    subject: str
    period: str
    period_start: str
    level: int
    spent: int
    budget: int
    at: datetime | None = None
    id: int | None = None


def _notice(row: BudgetNotice) -> Notice:
    return Notice(
        connection=row.connection_name,
        scope=row.scope,
        subject=row.subject,
        period=row.period,
        period_start=row.period_start,
        level=row.level,
        spent=row.spent,
        budget=row.budget,
        at=row.at,
        id=row.id,
    )


class BudgetNotices:
    """Repository of budget notices."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def claim(self, notice: Notice) -> bool:
        """Record ``notice`` unless it was already: whether this call recorded it."""
        try:
            with self._db.session() as s:
                s.add(
                    BudgetNotice(
                        connection_name=notice.connection,
                        scope=notice.scope,
                        subject=notice.subject,
                        period=notice.period,
                        period_start=notice.period_start,
                        level=notice.level,
                        spent=notice.spent,
                        budget=notice.budget,
                        at=utcnow(),
                    )
                )
        except IntegrityError:
            return False
        return True

    def since(self, moment: datetime) -> list[Notice]:
        """Notices recorded since ``moment``, newest first."""
        query = (
            select(BudgetNotice)
            .where(BudgetNotice.at >= moment)
            .order_by(BudgetNotice.at.desc(), BudgetNotice.id.desc())
        )
        with self._db.session() as s:
            return [_notice(row) for row in s.scalars(query)]

    def purge_before(self, cutoff: datetime) -> int:
        """Delete notices recorded before ``cutoff``; how many there were."""
        with self._db.session() as s:
            result = s.execute(delete(BudgetNotice).where(BudgetNotice.at < cutoff))
            return int(result.rowcount)  # type: ignore[attr-defined]
