"""Alert states in the metadata store (blocking): what the last evaluation of a schedule's
alert found, per recipient. A schedule run as each recipient keeps one per recipient (their
rows differ: alice's metric may be above the threshold while bob's is not); one run as its
owner keeps one for everyone, under :data:`EVERYONE`."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from belvedere.schedules.model import AlertState
from belvedere.store.db import Database
from belvedere.store.models import ScheduleAlertState, utcnow

EVERYONE = ""
"""The recipient of the one state of a schedule run as its owner."""


def recipient_key(address: str) -> str:
    """The key of a recipient's state: their address, whatever its case."""
    return address.lower()


def keep_only(session: Session, schedule_id: int, recipients: Collection[str]) -> None:
    """Forget the states of a schedule's other recipients (in ``session``'s transaction), e.g.
    of those no longer among them."""
    session.execute(
        delete(ScheduleAlertState).where(
            ScheduleAlertState.schedule_id == schedule_id,
            ScheduleAlertState.recipient.not_in(list(recipients)),
        )
    )


class AlertStates:
    """Repository of alert states, by schedule and recipient."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, schedule_id: int, recipient: str = EVERYONE) -> AlertState:
        """The state of the last evaluation for ``recipient`` (a fresh one if none)."""
        with self._db.session() as s:
            row = s.get(ScheduleAlertState, (schedule_id, recipient))
            if row is None:
                return AlertState()
            return AlertState(row.is_true, row.last_value, row.notified_at)

    def save(self, schedule_id: int, state: AlertState, recipient: str = EVERYONE) -> None:
        """Keep what an evaluation found for ``recipient`` (nothing if the schedule is gone)."""
        values = {
            "is_true": state.true,
            "last_value": state.last_value,
            "notified_at": state.notified_at,
            "updated_at": utcnow(),
        }
        for _ in range(2):  # an insert that lost a race with another becomes an update
            with self._db.session() as s:
                found = s.execute(
                    update(ScheduleAlertState)
                    .where(
                        ScheduleAlertState.schedule_id == schedule_id,
                        ScheduleAlertState.recipient == recipient,
                    )
                    .values(**values)
                )
                if found.rowcount:  # type: ignore[attr-defined]
                    return
            try:
                with self._db.session() as s:
                    s.add(
                        ScheduleAlertState(schedule_id=schedule_id, recipient=recipient, **values)
                    )
                return
            except IntegrityError:  # added meanwhile, or the schedule was deleted
                continue

    def alerting(self, schedule_ids: Iterable[int]) -> set[int]:
        """Which of the schedules' alerts held at their last evaluation, for anyone."""
        ids = list(schedule_ids)
        if not ids:
            return set()
        query = select(ScheduleAlertState.schedule_id).where(
            ScheduleAlertState.schedule_id.in_(ids), ScheduleAlertState.is_true.is_(True)
        )
        with self._db.session() as s:
            return set(s.scalars(query.distinct()))
