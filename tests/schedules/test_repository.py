"""The schedules' store on SQLite and PostgreSQL: records round-trip, the secret is sealed at
rest, each tick is claimed once, and deliveries keep the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from belvedere.auth.roles import Role
from belvedere.schedules.model import (
    AlertRule,
    AlertState,
    Channel,
    Condition,
    DeliveryStatus,
    RunAs,
    TargetKind,
)
from belvedere.security.secretbox import SecretBox
from belvedere.store.db import Database
from belvedere.store.schedules import Schedules
from belvedere.store.users import Users

T0 = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


@pytest.fixture
def db(metadata_url: str) -> Database:
    database = Database(metadata_url)
    database.migrate()
    return database


@pytest.fixture
def store(db: Database) -> Schedules:
    return Schedules(db, SecretBox(b"k" * 32, "schedules"))


def fields(owner_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "owner_id": owner_id,
        "name": "Monday",
        "target_kind": TargetKind.CHART,
        "target_id": 7,
        "cron": "0 8 * * 1",
        "timezone": "Europe/Paris",
        "channel": Channel.EMAIL,
        "recipients": ("a@example.com",),
        "webhook_url": None,
        "run_as": RunAs.OWNER,
        "active": True,
        "recipients_see_owner_data": False,
        "alert": AlertRule(Condition.ABOVE, "revenue", 10.5, 60),
        "next_run_at": T0,
        "last_run_at": None,
        "last_status": None,
        "paused_reason": None,
        **overrides,
    }


def test_a_schedule_round_trips(db: Database, store: Schedules) -> None:
    owner = Users(db).create("olga", Role.EDITOR, None)
    added = store.add(**fields(owner.id), webhook_secret=b"s3cret-bytes")
    assert store.get(added.id) == added
    assert added.alert == AlertRule(Condition.ABOVE, "revenue", 10.5, 60)
    assert store.alerts.get(added.id) == AlertState()
    assert (added.target_kind, added.channel, added.recipients) == (
        TargetKind.CHART,
        Channel.EMAIL,
        ("a@example.com",),
    )
    assert store.webhook_secret(added.id) == b"s3cret-bytes"
    with db.session() as s:
        sealed = s.execute(text("SELECT sealed_webhook_secret FROM schedules")).scalar_one()
    assert b"s3cret-bytes" not in bytes(sealed)
    assert store.extras([added.id])[added.id].webhook_signed

    changed = store.change(added.id, name="Tuesday", alert=None, webhook_secret=None)
    assert (changed.name, changed.alert) == ("Tuesday", None)
    assert store.webhook_secret(added.id) is None
    assert store.list_owned(owner.id) == [changed] == store.list_all()
    assert store.list_owned(owner.id + 1) == []
    with pytest.raises(ValueError, match="not schedule fields"):
        store.change(added.id, id=5)

    state = AlertState(True, 12.0, T0)
    store.alerts.save(added.id, state)
    assert store.alerts.get(added.id) == state
    assert store.extras([added.id])[added.id].alerting
    assert store.delete(added.id) and not store.delete(added.id)
    assert store.get(added.id) is None


def test_each_tick_is_claimed_once_and_due_follows_next_run(db: Database, store: Schedules) -> None:
    owner = Users(db).create("olga", Role.EDITOR, None)
    due = store.add(**fields(owner.id))
    later = store.add(**fields(owner.id, next_run_at=T0 + timedelta(days=1)))
    store.add(**fields(owner.id, active=False))
    assert [s.id for s in store.due(T0)] == [due.id]
    assert store.claim(due.id, T0, "host-a:1")
    assert not store.claim(due.id, T0, "host-b:2")  # the other server lost this tick
    assert store.claim(due.id, T0 + timedelta(days=7), "host-b:2")  # the next is new
    store.advance(due.id, T0 + timedelta(days=7), last_run_at=T0)
    assert store.due(T0) == []
    assert store.get(due.id).last_run_at == T0  # type: ignore[union-attr]
    store.pause(later.id, "Olga's grant was revoked.")
    paused = store.get(later.id)
    assert paused is not None and (paused.active, paused.paused_reason) == (
        False,
        "Olga's grant was revoked.",
    )
    assert store.due(T0 + timedelta(days=30)) == [store.get(due.id)]


def test_deliveries_keep_the_history(db: Database, store: Schedules) -> None:
    owner = Users(db).create("olga", Role.EDITOR, None)
    schedule = store.add(**fields(owner.id))
    first = store.start_delivery(schedule.id, T0, "a@example.com", 1)
    assert store.deliveries(schedule.id)[0].status is DeliveryStatus.RETRYING
    store.end_delivery(first, DeliveryStatus.FAILED, "451 try later", [])
    second = store.start_delivery(schedule.id, T0, "a@example.com", 2)
    store.end_delivery(second, DeliveryStatus.SENT, None, ["run1", "run2"])
    now = store.start_delivery(schedule.id, None, "a@example.com", 1)
    store.end_delivery(now, DeliveryStatus.FAILED, "refused", [])
    history = store.deliveries(schedule.id)
    assert [(d.attempt, d.status, d.due_at) for d in history] == [
        (1, DeliveryStatus.FAILED, None),
        (2, DeliveryStatus.SENT, T0),
        (1, DeliveryStatus.FAILED, T0),
    ]
    assert history[1].run_ids == ("run1", "run2") and history[1].finished_at is not None
    assert store.deliveries(schedule.id, limit=1) == history[:1]
    after = store.get(schedule.id)
    assert after is not None and (after.last_status, after.last_run_at) == (
        DeliveryStatus.FAILED,
        T0,
    )


def test_old_tick_claims_and_deliveries_are_pruned(db: Database, store: Schedules) -> None:
    owner = Users(db).create("olga", Role.EDITOR, None)
    schedule = store.add(**fields(owner.id))
    assert store.claim(schedule.id, T0, "host-a:1")
    assert store.claim(schedule.id, T0 + timedelta(days=8), "host-a:1")
    store.start_delivery(schedule.id, T0, "a@example.com", 1)
    # Claims before the cut go; the history is kept up to its own cut.
    assert store.prune(T0 + timedelta(days=1), T0 - timedelta(days=1)) == 1
    assert store.claim(schedule.id, T0, "host-b:2")  # forgotten: claimable, never asked again
    assert not store.claim(schedule.id, T0 + timedelta(days=8), "host-b:2")
    assert len(store.deliveries(schedule.id)) == 1
    assert store.prune(T0, datetime.now(UTC) + timedelta(days=1)) == 1
    assert store.deliveries(schedule.id) == []
