"""Alert states per recipient: run as each recipient, alice's rows may hold the condition while
bob's do not, so each keeps their own state (notified, recovered); run as its owner, one state
for everyone. Stored on SQLite and PostgreSQL, forgotten for people no longer recipients, and
moved from the schedule's column by migration 0011."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from belvedere.auth.roles import Role
from belvedere.execution.runs import Actor
from belvedere.schedules.content import Built
from belvedere.schedules.delivery.email import SmtpSender
from belvedere.schedules.delivery.report import Report
from belvedere.schedules.delivery.webhook import WebhookSender
from belvedere.schedules.model import (
    AlertRule,
    AlertState,
    Channel,
    Condition,
    DeliveryStatus,
    RunAs,
    ScheduleRecord,
    TargetKind,
)
from belvedere.schedules.runner import ScheduleRunner
from belvedere.security.secretbox import SecretBox
from belvedere.services import Services
from belvedere.store.db import Database
from belvedere.store.migrate import upgrade
from belvedere.store.models import Schedule
from belvedere.store.schedules import Schedules
from belvedere.store.users import Users
from tests.schedules.scheduling import add_schedule, admin, user
from tests.support.delivery import Received

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ALICE, BOB = "alice@example.com", "Bob@Example.com"


class PerUserReports:
    """Reports whose metric depends on whom they run as: a stand-in for a per-user warehouse
    (row access policies), tests only."""

    def __init__(self) -> None:
        self.metric: dict[str, float] = {}

    async def report_for(self, schedule: ScheduleRecord, actor: Actor) -> Built:
        report = Report(subject=schedule.name, title=schedule.name, link=self.link(""), sections=[])
        return Built(report, [], ["n"], [[self.metric[actor.name]]])

    def link(self, path: str) -> str:
        return f"http://belvedere.test{path}"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_as_each_recipient_each_has_their_own_alert_state(
    scheduling: Services, mail: tuple[int, list[Received]]
) -> None:
    owner = admin(scheduling)
    alice, bob = user(scheduling, "alice", ALICE), user(scheduling, "bob", BOB)
    reports = PerUserReports()
    runner = ScheduleRunner(
        scheduling.schedules.repository,
        scheduling.users,
        reports,  # type: ignore[arg-type]
        scheduling.pools,
        retry_seconds=(),
        smtp=SmtpSender.from_settings(scheduling.settings),
        webhook=WebhookSender(5, allow_private=True),
        images=scheduling.schedule_images,
    )
    schedule = add_schedule(
        scheduling,
        owner,
        TargetKind.SAVED_QUERY,
        1,
        run_as=RunAs.RECIPIENT,
        recipients=(ALICE, BOB),
        alert=AlertRule(Condition.ABOVE, column="n", value=10),
    )
    store = scheduling.schedules.repository

    reports.metric = {alice.name: 20, bob.name: 5}
    first = {d.recipient: d for d in await runner.deliver(schedule, T0)}
    assert [(m.recipients, m.message["Subject"]) for m in mail[1]] == [
        ([ALICE], "Alert: Monday regions")
    ]
    assert (first[ALICE].status, first[BOB].status) == (DeliveryStatus.SENT, DeliveryStatus.SKIPPED)
    assert first[BOB].message == "Checked; no notice to send. n is no longer above 10 (5)."
    assert store.alerts.get(schedule.id, ALICE.lower()).true
    assert not store.alerts.get(schedule.id, BOB.lower()).true
    assert store.extras([schedule.id])[schedule.id].alerting

    mail[1].clear()
    reports.metric = {alice.name: 5, bob.name: 20}
    await runner.deliver(schedule, T0 + timedelta(hours=1))
    assert sorted((m.recipients[0], m.message["Subject"]) for m in mail[1]) == [
        (BOB, "Alert: Monday regions"),
        (ALICE, "Recovered: Monday regions"),
    ]

    mail[1].clear()
    reports.metric = {alice.name: 5, bob.name: 30}  # bob's still true: no second notice
    later = await runner.deliver(schedule, T0 + timedelta(hours=2))
    assert mail[1] == []
    assert {d.status for d in later} == {DeliveryStatus.SKIPPED}


@pytest.fixture
def db(metadata_url: str) -> Iterator[Database]:
    database = Database(metadata_url)
    database.migrate()
    yield database
    database.dispose()


def _fields(owner_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "owner_id": owner_id,
        "name": "Alert",
        "target_kind": TargetKind.SAVED_QUERY,
        "target_id": 1,
        "cron": "0 * * * *",
        "timezone": "UTC",
        "channel": Channel.EMAIL,
        "recipients": ("a@example.com", "b@example.com"),
        "webhook_url": None,
        "run_as": RunAs.RECIPIENT,
        "active": True,
        "recipients_see_owner_data": False,
        "alert": AlertRule(Condition.ANY_ROWS),
        "next_run_at": None,
        "last_run_at": None,
        "last_status": None,
        "paused_reason": None,
        **overrides,
    }


def test_states_are_kept_per_recipient_and_forgotten_with_them(db: Database) -> None:
    store = Schedules(db, SecretBox(b"k" * 32, "schedules"))
    owner = Users(db).create("olga", Role.EDITOR, None)
    schedule = store.add(**_fields(owner.id))
    alerts = store.alerts
    assert alerts.get(schedule.id, "a@example.com") == AlertState()

    alerts.save(schedule.id, AlertState(True, 3.0, T0), "a@example.com")
    alerts.save(schedule.id, AlertState(False, 1.0, None), "b@example.com")
    alerts.save(schedule.id, AlertState(True, 4.0, T0), "a@example.com")  # an update
    assert alerts.get(schedule.id, "a@example.com") == AlertState(True, 4.0, T0)
    assert alerts.get(schedule.id, "b@example.com") == AlertState(False, 1.0, None)
    assert alerts.get(schedule.id) == AlertState()  # as owner: another state
    assert alerts.alerting([schedule.id]) == {schedule.id}

    store.change(schedule.id, recipients=("b@example.com",))  # a is no longer a recipient
    assert alerts.get(schedule.id, "a@example.com") == AlertState()
    assert alerts.get(schedule.id, "b@example.com") == AlertState(False, 1.0, None)
    store.change(schedule.id, run_as=RunAs.OWNER)  # one state for everyone from now on
    assert alerts.get(schedule.id, "b@example.com") == AlertState()

    store.delete(schedule.id)
    alerts.save(schedule.id, AlertState(True), "b@example.com")  # gone: nothing kept
    assert alerts.alerting([schedule.id]) == set()


def test_migration_0011_moves_the_state_kept_on_the_schedule(metadata_url: str) -> None:
    database = Database(metadata_url)
    try:
        with database.engine.begin() as connection:
            upgrade(connection, "0010")
        with database.engine.begin() as connection:  # the users table as it was at 0010
            connection.execute(
                text(
                    "INSERT INTO users (id, username, display_name, role, is_active, created_at,"
                    " groups) VALUES (1, 'olga', 'olga', 'editor', true, CURRENT_TIMESTAMP, '[]')"
                )
            )
        stored = _fields(1, run_as="owner", channel="email", target_kind="saved_query")
        del stored["webhook_url"]  # sealed_webhook_url in the table
        columns = {
            **stored,
            "recipients": ["a@example.com"],
            "alert": {"condition": "above", "column": None, "value": 1.0, "renotify_minutes": None},
            "alert_state": {"true": True, "last_value": 12.0, "notified_at": T0.isoformat()},
            "created_at": T0,
            "updated_at": T0,
        }
        report = {**columns, "alert": None, "alert_state": {}}
        with database.engine.begin() as connection:
            connection.execute(Schedule.__table__.insert(), [columns, report])
        database.migrate()

        store = Schedules(database, SecretBox(b"k" * 32, "schedules"))
        alert, plain = sorted(s.id for s in store.list_all())
        assert store.alerts.get(alert) == AlertState(True, 12.0, T0)
        assert store.alerts.alerting([alert, plain]) == {alert}
    finally:
        database.dispose()
