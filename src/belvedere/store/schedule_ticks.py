"""A claimed tick whose delivery stopped with its server (blocking)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update

from belvedere.schedules.model import DeliveryStatus
from belvedere.store.db import Database
from belvedere.store.models import Schedule, ScheduleDelivery, ScheduleTick, utcnow

GIVEN_BACK = "Belvedere stopped during this delivery; the tick is delivered again."
KEPT = (
    "Belvedere stopped during this delivery; others of this tick were sent, so it is not "
    "sent again."
)


def give_back(
    db: Database, schedule_id: int, due_at: datetime, delivery_ids: Sequence[int]
) -> bool:
    """End a tick's interrupted delivery: its attempts under way end as failed, and if none of
    its rows was sent, the claim is dropped and the schedule is due at that tick again, so
    another server (or this one on return) delivers it once. Whether it was given back."""
    with db.session() as s:
        rows = (
            list(s.scalars(select(ScheduleDelivery).where(ScheduleDelivery.id.in_(delivery_ids))))
            if delivery_ids
            else []
        )
        again = all(r.status != DeliveryStatus.SENT.value for r in rows)
        for row in rows:
            if row.finished_at is None:
                row.status, row.finished_at = DeliveryStatus.FAILED.value, utcnow()
                row.message = GIVEN_BACK if again else KEPT
        if again:
            s.execute(
                delete(ScheduleTick).where(
                    ScheduleTick.schedule_id == schedule_id, ScheduleTick.due_at == due_at
                )
            )
            s.execute(
                update(Schedule)
                .where(
                    Schedule.id == schedule_id,
                    or_(Schedule.next_run_at.is_(None), Schedule.next_run_at > due_at),
                )
                .values(next_run_at=due_at)
            )
    return again
