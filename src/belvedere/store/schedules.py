"""Schedules, their deliveries and their claimed ticks in the metadata store (blocking)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from belvedere.audit.events import EventDraft
from belvedere.schedules.audit import events as schedule_events
from belvedere.schedules.model import (
    AlertRule,
    Channel,
    Condition,
    DeliveryRecord,
    DeliveryStatus,
    RunAs,
    ScheduleRecord,
    TargetKind,
)
from belvedere.security.secretbox import SecretBox
from belvedere.store import schedule_ticks
from belvedere.store.alert_states import EVERYONE, AlertStates, keep_only, recipient_key
from belvedere.store.audit_events import add_events
from belvedere.store.db import Database
from belvedere.store.models import Schedule, ScheduleDelivery, ScheduleTick, utcnow

#: Fields :meth:`Schedules.add` and :meth:`Schedules.change` take (besides ``webhook_secret``).
FIELDS = frozenset(
    {
        "owner_id",
        "name",
        "target_kind",
        "target_id",
        "cron",
        "timezone",
        "channel",
        "recipients",
        "webhook_url",
        "run_as",
        "active",
        "recipients_see_owner_data",
        "owner_data_confirmed_by",
        "owner_data_confirmed_at",
        "alert",
        "next_run_at",
        "last_run_at",
        "last_status",
        "paused_reason",
    }
)


Audit = Callable[[ScheduleRecord | None, ScheduleRecord | None], Iterable[EventDraft]]
"""The audit events of a change, from the schedule before and after it (``None``: there was
none, or is none): see :func:`belvedere.schedules.audit.events`."""


@dataclass(frozen=True)
class ScheduleExtras:
    """What a schedule's record leaves out: whether webhooks are signed, who confirmed that
    recipients outside Belvedere see the owner's rows (and when), and whether its alert held
    at the last evaluation (for anyone)."""

    webhook_signed: bool
    confirmed_by: int | None
    confirmed_at: datetime | None
    alerting: bool = False


def _alert_of(stored: dict[str, Any] | None) -> AlertRule | None:
    if stored is None:
        return None
    return AlertRule(
        condition=Condition(stored["condition"]),
        column=stored.get("column"),
        value=stored.get("value"),
        renotify_minutes=stored.get("renotify_minutes"),
    )


def _record(row: Schedule, box: SecretBox) -> ScheduleRecord:
    sealed_url = row.sealed_webhook_url
    return ScheduleRecord(
        id=row.id,
        owner_id=row.owner_id,
        name=row.name,
        target_kind=TargetKind(row.target_kind),
        target_id=row.target_id,
        cron=row.cron,
        timezone=row.timezone,
        channel=Channel(row.channel),
        recipients=tuple(row.recipients or ()),
        webhook_url=None if sealed_url is None else str(box.open(sealed_url)["url"]),
        run_as=RunAs(row.run_as),
        active=bool(row.active),
        recipients_see_owner_data=bool(row.recipients_see_owner_data),
        alert=_alert_of(row.alert),
        next_run_at=row.next_run_at,
        last_run_at=row.last_run_at,
        last_status=DeliveryStatus(row.last_status) if row.last_status else None,
        paused_reason=row.paused_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _keep_audience_states(session: Session, record: ScheduleRecord) -> None:
    """Forget the alert states of anyone the schedule no longer runs for."""
    if record.run_as is RunAs.RECIPIENT and record.channel is Channel.EMAIL:
        keep_only(session, record.id, [recipient_key(r) for r in record.recipients])
    else:
        keep_only(session, record.id, [EVERYONE])


def _delivery(row: ScheduleDelivery) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id,
        schedule_id=row.schedule_id,
        due_at=row.due_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=DeliveryStatus(row.status),
        attempt=row.attempt,
        recipient=row.recipient,
        message=row.message,
        run_ids=tuple(row.run_ids or ()),
    )


class Schedules:
    """Repository of schedules (blocking: call it on the io lane). The webhook secret is
    sealed at rest and handed out only by :meth:`webhook_secret`; the webhook's URL (a
    credential of its own) is sealed at rest too. Changes are audited in their own
    transaction: :meth:`add`, :meth:`change` and :meth:`delete` take the events to record
    (``audit``), :meth:`pause` records that Belvedere paused it."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box
        self.alerts = AlertStates(db)
        """What each alert's last evaluation found, per recipient."""

    # -- schedules -----------------------------------------------------------------------

    def _stored(self, fields: dict[str, Any]) -> dict[str, Any]:
        """``fields`` as columns: enums as text, the alert as JSON, the secret sealed."""
        unknown = set(fields) - FIELDS - {"webhook_secret"}
        if unknown:
            raise ValueError(f"not schedule fields: {sorted(unknown)}")
        stored = dict(fields)
        if "webhook_url" in stored:
            url: str | None = stored.pop("webhook_url")
            stored["sealed_webhook_url"] = None if url is None else self._box.seal({"url": url})
        if "webhook_secret" in stored:
            secret: bytes | None = stored.pop("webhook_secret")
            stored["sealed_webhook_secret"] = (
                None
                if secret is None
                else self._box.seal({"secret": base64.b64encode(secret).decode()})
            )
        if "alert" in stored:
            alert: AlertRule | None = stored["alert"]
            stored["alert"] = (
                None if alert is None else {**asdict(alert), "condition": str(alert.condition)}
            )
        if "recipients" in stored:
            stored["recipients"] = list(stored["recipients"])
        for name in ("target_kind", "channel", "run_as", "last_status"):
            if stored.get(name) is not None:
                stored[name] = str(stored[name])
        return stored

    def add(self, *, audit: Audit | None = None, **fields: Any) -> ScheduleRecord:
        """Store a new schedule: the fields of :class:`ScheduleRecord` but its id and times,
        and ``webhook_secret`` (bytes or ``None``)."""
        with self._db.session() as s:
            row = Schedule(alert_state={}, **self._stored(fields))
            s.add(row)
            s.flush()
            record = _record(row, self._box)
            if audit is not None:
                add_events(s, audit(None, record))
            return record

    def get(self, schedule_id: int) -> ScheduleRecord | None:
        """A schedule by id, whoever owns it."""
        with self._db.session() as s:
            row = s.get(Schedule, schedule_id)
            return None if row is None else _record(row, self._box)

    def list_owned(self, owner_id: int) -> list[ScheduleRecord]:
        """The user's schedules, by name."""
        query = select(Schedule).where(Schedule.owner_id == owner_id)
        with self._db.session() as s:
            rows = s.scalars(query.order_by(Schedule.name, Schedule.id))
            return [_record(r, self._box) for r in rows]

    def list_all(self) -> list[ScheduleRecord]:
        """Every schedule, by name."""
        with self._db.session() as s:
            query = select(Schedule).order_by(Schedule.name, Schedule.id)
            return [_record(r, self._box) for r in s.scalars(query)]

    def existing(self, schedule_ids: Iterable[int]) -> set[int]:
        """Which of these schedules still exist."""
        with self._db.session() as s:
            return set(s.scalars(select(Schedule.id).where(Schedule.id.in_(list(schedule_ids)))))

    def change(
        self, schedule_id: int, *, audit: Audit | None = None, **fields: Any
    ) -> ScheduleRecord:
        """Change some fields (as :meth:`add` takes them); ``LookupError`` if it is gone.
        The alert states of people no longer among its recipients are forgotten."""
        with self._db.session() as s:
            row = s.get(Schedule, schedule_id, with_for_update=True)
            if row is None:
                raise LookupError(f"No schedule {schedule_id}.")
            before = _record(row, self._box)
            for name, value in self._stored(fields).items():
                setattr(row, name, value)
            s.flush()
            after = _record(row, self._box)
            if {"recipients", "run_as"} & set(fields):
                _keep_audience_states(s, after)
            if audit is not None:
                add_events(s, audit(before, after))
            return after

    def delete(self, schedule_id: int, *, audit: Audit | None = None) -> bool:
        """Delete a schedule with its history; ``False`` if there was none."""
        with self._db.session() as s:
            row = s.get(Schedule, schedule_id)
            if row is None:
                return False
            if audit is not None:
                add_events(s, audit(_record(row, self._box), None))
            s.delete(row)
            return True

    def webhook_secret(self, schedule_id: int) -> bytes | None:
        """The schedule's webhook signing secret, if it has one."""
        with self._db.session() as s:
            sealed = s.scalar(
                select(Schedule.sealed_webhook_secret).where(Schedule.id == schedule_id)
            )
        return None if sealed is None else base64.b64decode(self._box.open(sealed)["secret"])

    def extras(self, schedule_ids: Iterable[int]) -> dict[int, ScheduleExtras]:
        """What the records leave out, by schedule id."""
        ids = list(schedule_ids)
        if not ids:
            return {}
        query = select(
            Schedule.id,
            Schedule.sealed_webhook_secret.is_not(None),
            Schedule.owner_data_confirmed_by,
            Schedule.owner_data_confirmed_at,
        ).where(Schedule.id.in_(ids))
        alerting = self.alerts.alerting(ids)
        with self._db.session() as s:
            return {
                row[0]: ScheduleExtras(bool(row[1]), row[2], row[3], row[0] in alerting)
                for row in s.execute(query)
            }

    # -- ticking -------------------------------------------------------------------------

    def due(self, now: datetime) -> list[ScheduleRecord]:
        """Active schedules whose next run is at or before ``now``, the most overdue first."""
        query = (
            select(Schedule)
            .where(Schedule.active.is_(True), Schedule.next_run_at <= now)
            .order_by(Schedule.next_run_at, Schedule.id)
        )
        with self._db.session() as s:
            return [_record(r, self._box) for r in s.scalars(query)]

    def claim(self, schedule_id: int, due_at: datetime, claimer: str) -> bool:
        """Claim a schedule's tick for ``claimer``; ``False`` when another process claimed it
        (the unique key on schedule and due time) or the schedule is gone."""
        try:
            with self._db.session() as s:
                s.add(ScheduleTick(schedule_id=schedule_id, due_at=due_at, claimer=claimer))
                s.flush()
        except IntegrityError:
            return False
        return True

    def give_back(self, schedule_id: int, due_at: datetime, delivery_ids: Sequence[int]) -> bool:
        """A tick's delivery stopped with its server: see :func:`schedule_ticks.give_back`."""
        return schedule_ticks.give_back(self._db, schedule_id, due_at, delivery_ids)

    def prune(self, ticks_before: datetime, deliveries_before: datetime) -> int:
        """Forget claims of ticks due before ``ticks_before`` (none can be claimed again: a
        missed tick runs as the latest one due) and deliveries started before
        ``deliveries_before``; how many rows went."""
        with self._db.engine.begin() as connection:
            ticks = connection.execute(
                delete(ScheduleTick).where(ScheduleTick.due_at < ticks_before)
            ).rowcount
            deliveries = connection.execute(
                delete(ScheduleDelivery).where(ScheduleDelivery.started_at < deliveries_before)
            ).rowcount
        return int(ticks) + int(deliveries)

    def advance(
        self, schedule_id: int, next_run_at: datetime | None, last_run_at: datetime | None = None
    ) -> None:
        """Set the next run (and the last one, if given)."""
        values: dict[str, Any] = {"next_run_at": next_run_at}
        if last_run_at is not None:
            values["last_run_at"] = last_run_at
        self._update(schedule_id, values)

    def pause(self, schedule_id: int, reason: str) -> None:
        """Stop running a schedule, saying why (its owner sees the reason); recorded in the
        audit log as paused by Belvedere, unless it was paused already."""
        with self._db.session() as s:
            row = s.get(Schedule, schedule_id, with_for_update=True)
            if row is None:
                return
            before = _record(row, self._box)
            row.active, row.paused_reason = False, reason
            s.flush()
            add_events(s, schedule_events(None, before, _record(row, self._box), reason=reason))

    def _update(self, schedule_id: int, values: dict[str, Any]) -> None:
        with self._db.session() as s:
            s.execute(
                update(Schedule)
                .where(Schedule.id == schedule_id)
                .values(**values, updated_at=utcnow())
            )

    # -- deliveries ----------------------------------------------------------------------

    def start_delivery(
        self, schedule_id: int, due_at: datetime | None, recipient: str | None, attempt: int
    ) -> int:
        """Record an attempt under way (status ``retrying`` until it ends); its id."""
        with self._db.session() as s:
            row = ScheduleDelivery(
                schedule_id=schedule_id,
                due_at=due_at,
                started_at=utcnow(),
                status=DeliveryStatus.RETRYING.value,
                attempt=attempt,
                recipient=recipient,
                run_ids=[],
            )
            s.add(row)
            s.flush()
            return row.id

    def end_delivery(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        message: str | None,
        run_ids: Sequence[str],
    ) -> None:
        """Record how an attempt ended. The schedule's last status follows it, and so does
        its last run for a scheduled delivery (the tick's due time, never moved back; "send
        now" leaves it, so that it does not hide a tick due meanwhile)."""
        with self._db.session() as s:
            row = s.get(ScheduleDelivery, delivery_id)
            if row is None:
                return
            row.status, row.message, row.run_ids = status.value, message, list(run_ids)
            row.finished_at = utcnow()
            schedule = s.get(Schedule, row.schedule_id)
            if schedule is None:
                return
            schedule.last_status = status.value
            if row.due_at is not None and (
                schedule.last_run_at is None or schedule.last_run_at < row.due_at
            ):
                schedule.last_run_at = row.due_at

    def deliveries(self, schedule_id: int, limit: int = 50) -> list[DeliveryRecord]:
        """A schedule's delivery attempts, newest first."""
        query = (
            select(ScheduleDelivery)
            .where(ScheduleDelivery.schedule_id == schedule_id)
            .order_by(ScheduleDelivery.id.desc())
            .limit(limit)
        )
        with self._db.session() as s:
            return [_delivery(r) for r in s.scalars(query)]
