"""Delivering a schedule end to end on the demo warehouse, to an SMTP server on loopback
(aiosmtpd): what arrives, as whom it ran, retries of a refusing server, and a missing grant
that pauses the schedule and tells its owner."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from belvedere.audit.records import AuditFilter
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, Surface
from belvedere.schedules.delivery.webhook import verify_signature
from belvedere.schedules.model import (
    AlertRule,
    Channel,
    Condition,
    DeliveryStatus,
    RunAs,
    ScheduleRecord,
    TargetKind,
)
from belvedere.services import DEMO_CONNECTION, Services
from belvedere.settings import Settings
from belvedere.store.schedules import Schedules
from tests.schedules.scheduling import (
    BOSS,
    REGIONS_SQL,
    add_schedule,
    admin,
    attachment,
    chart,
    csv_rows,
    html_of,
    make_services,
    saved_query,
    user,
)
from tests.support.delivery import Received, WebhookReceiver, mail_server, silent_server
from tests.support.images import colours_in, open_png

pytestmark = pytest.mark.anyio

TICK = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PER_USER = {
    "project": "test-project",
    "auth": "none",
    "identity": "user_oauth",
    "oauth_client_id": "belvedere-test",
    "oauth_client_secret": "not-a-secret",
    "api_endpoint": "http://127.0.0.1:9",
}


async def sql_rows(services: Services, actor: Actor) -> list[list[Any]]:
    """The rows of the regions query, run in SQL Lab's way (the check, not the schedule)."""
    request = QueryRequest(DEMO_CONNECTION, REGIONS_SQL, actor, Surface.API)
    run = await services.execution.submit(request)
    run = await services.execution.wait(run.id, actor, 30)
    return [
        list(row.values()) for row in (await services.execution.page(run, 0, 100)).rows.to_pylist()
    ]


async def test_a_saved_query_arrives_by_email_with_its_csv_run_as_its_owner(
    scheduling: Services, mail: tuple[int, list[Received]]
) -> None:
    owner = admin(scheduling)
    schedule = add_schedule(
        scheduling, owner, TargetKind.SAVED_QUERY, saved_query(scheduling, owner)
    )

    [delivery] = await scheduling.schedule_runner.deliver(schedule, TICK)

    assert (delivery.status, delivery.recipient, delivery.attempt) == (DeliveryStatus.SENT, BOSS, 1)
    [received] = mail[1]
    assert received.recipients == [BOSS]
    assert received.message["Subject"] == "Monday regions"
    rows = csv_rows(attachment(received.message, ".csv"))
    assert rows[0] == ["region", "customers"]
    assert rows[1:] == [[region, str(n)] for region, n in await sql_rows(scheduling, owner)]
    assert f"http://belvedere.test/sqllab?saved={schedule.target_id}" in html_of(received.message)

    [run] = scheduling.audit.find(AuditFilter(surface="schedule"), limit=5)
    assert (run.actor, run.sql, run.status, run.id) == (
        owner.name,
        REGIONS_SQL,
        "succeeded",
        delivery.run_ids[0],
    )


async def test_a_charts_report_holds_its_chart_as_a_png(
    scheduling: Services, mail: tuple[int, list[Received]]
) -> None:
    owner = admin(scheduling)
    schedule = add_schedule(scheduling, owner, TargetKind.CHART, await chart(scheduling, owner))

    [delivery] = await scheduling.schedule_runner.deliver(schedule, TICK)

    assert delivery.status == DeliveryStatus.SENT, delivery.message
    [received] = mail[1]
    [png] = [p for p in received.message.walk() if p.get_content_type() == "image/png"]
    colours, colourful = colours_in(open_png(png.get_content()))
    assert colours > 1 and colourful > 0  # a drawn chart, not a blank canvas
    rows = csv_rows(attachment(received.message, "revenue-by-region.csv"))
    assert rows[0] == ["region", "revenue"] and len(rows) > 1


async def test_a_refusing_smtp_server_is_retried_with_backoff_and_every_attempt_recorded(
    make_settings: Callable[..., Settings], demo_path: Path
) -> None:
    with mail_server(refuse_at="RCPT", reply="550 5.1.1 no such mailbox here") as (port, got):
        services = make_services(make_settings, demo_path, port)
        try:
            owner = admin(services)
            target = saved_query(services, owner)
            schedule = add_schedule(services, owner, TargetKind.SAVED_QUERY, target)
            attempts = await services.schedule_runner.deliver(schedule, TICK)
            history = services.schedule_runner.schedules.deliveries(schedule.id)
            stored = services.schedule_runner.schedules.get(schedule.id)
        finally:
            services.close()
    assert got == []
    oldest_first = sorted(attempts, key=lambda d: d.attempt)
    assert [(d.attempt, d.status) for d in oldest_first] == [
        (1, DeliveryStatus.RETRYING),
        (2, DeliveryStatus.RETRYING),
        (3, DeliveryStatus.FAILED),
    ]
    assert all("no such mailbox here" in (d.message or "") for d in oldest_first)
    assert "trying again in 0.2 s" in (oldest_first[0].message or "")
    gaps = [
        (later.started_at - earlier.started_at).total_seconds()
        for earlier, later in itertools.pairwise(oldest_first)
    ]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # the configured backoff, "0.2,0.4"
    assert [d.id for d in history] == [d.id for d in attempts]  # the history shows each
    assert stored is not None and stored.last_status == DeliveryStatus.FAILED


async def test_an_owner_without_a_grant_pauses_the_schedule_and_is_told_how_to_reconnect(
    scheduling: Services, mail: tuple[int, list[Received]]
) -> None:
    # A connection that queries as each user's own Google grant; ann has none (never
    # connected, or revoked): nothing reaches the warehouse, so its endpoint is never called.
    scheduling.connections.add("bq", "bigquery", PER_USER)
    ann = user(scheduling, "ann", "ann@example.com")
    target = saved_query(scheduling, ann, "SELECT 1 AS one", connection="bq")
    schedule = add_schedule(scheduling, ann, TargetKind.SAVED_QUERY, target)

    deliveries = await scheduling.schedule_runner.deliver(schedule, TICK)

    stored = scheduling.schedule_runner.schedules.get(schedule.id)
    assert stored is not None and not stored.active
    assert stored.paused_reason == (
        "Connect your Google account to query bq. Then resume this schedule (it runs as ann)."
    )
    by_recipient = {d.recipient: d for d in deliveries}
    assert by_recipient[BOSS].status == DeliveryStatus.FAILED  # the boss gets nothing
    assert by_recipient["ann@example.com"].status == DeliveryStatus.SKIPPED
    [told] = mail[1]
    assert told.recipients == ["ann@example.com"]
    assert told.message["Subject"] == "Paused: Monday regions"
    assert "http://belvedere.test/auth/warehouse/start?connection=bq" in html_of(told.message)
    assert scheduling.audit.find(AuditFilter(surface="schedule"), limit=5) == []


async def test_as_each_recipient_each_user_gets_a_report_run_as_them(
    scheduling: Services, mail: tuple[int, list[Received]]
) -> None:
    owner = admin(scheduling)
    ann, bob = (
        user(scheduling, "ann", "ann@example.com"),
        user(scheduling, "bob", "Bob@Example.com"),
    )
    schedule = add_schedule(
        scheduling,
        owner,
        TargetKind.SAVED_QUERY,
        saved_query(scheduling, owner),
        run_as=RunAs.RECIPIENT,
        recipients=("ann@example.com", "bob@example.com", "outsider@example.org"),
    )

    deliveries = await scheduling.schedule_runner.deliver(schedule, TICK)

    by_recipient = {d.recipient: d for d in deliveries}
    assert by_recipient["outsider@example.org"].status == DeliveryStatus.SKIPPED
    assert "No active Belvedere user" in (by_recipient["outsider@example.org"].message or "")
    assert sorted(m.recipients[0] for m in mail[1]) == ["ann@example.com", "bob@example.com"]
    runs = scheduling.audit.find(AuditFilter(surface="schedule"), limit=5)
    assert sorted(r.actor for r in runs) == sorted([ann.name, bob.name])  # never the owner
    for address, actor in (("ann@example.com", ann), ("bob@example.com", bob)):
        [run_id] = by_recipient[address].run_ids
        assert {r.id: r.actor for r in runs}[run_id] == actor.name


async def test_a_silent_smtp_server_fails_within_its_timeout_and_slows_nothing_else(
    make_settings: Callable[..., Settings], demo_path: Path
) -> None:
    with silent_server() as port:
        services = make_services(
            make_settings, demo_path, port, smtp_timeout_seconds=3, schedule_retry_seconds=""
        )
        try:
            owner = admin(services)
            target = saved_query(services, owner)
            schedule = add_schedule(services, owner, TargetKind.SAVED_QUERY, target)
            sending = services.schedule_runner.start(schedule, TICK)
            deadline = time.monotonic() + 30
            while not services.schedule_runner.schedules.deliveries(schedule.id):
                assert time.monotonic() < deadline, "the report was never built"
                await asyncio.sleep(0.01)  # until the message is on its way
            assert len(await sql_rows(services, owner)) == 4  # meanwhile a query runs
            assert not sending.done()  # while the server still says nothing
            [failed] = await asyncio.wait_for(sending, 10)
        finally:
            services.close()
    assert failed.status == DeliveryStatus.FAILED
    assert "did not answer within 3 s" in (failed.message or "")
    assert failed.finished_at is not None
    assert 3 <= (failed.finished_at - failed.started_at).total_seconds() < 8


async def test_a_charts_webhook_is_signed_and_links_its_png_for_a_while(
    scheduling: Services,
) -> None:
    owner = admin(scheduling)
    secret = b"a-webhook-secret-of-some-length"
    with WebhookReceiver().running() as receiver:
        schedule = add_schedule(
            scheduling,
            owner,
            TargetKind.CHART,
            await chart(scheduling, owner),
            channel=Channel.WEBHOOK,
            recipients=(),
            webhook_url=f"{receiver.url}/hooks/reports",
            webhook_secret=secret,
        )
        [delivery] = await scheduling.schedule_runner.deliver(schedule, TICK)
        [hook] = receiver.hooks

    assert delivery.status == DeliveryStatus.SENT, delivery.message
    assert hook.path == "/hooks/reports"
    assert verify_signature(secret, hook.headers["x-belvedere-signature"], hook.body)
    [link] = re.findall(r"http://belvedere\.test/schedule-images/([\w-]+)\.png", hook.body.decode())
    png = scheduling.schedule_images.get(link)
    assert png is not None
    colours, colourful = colours_in(open_png(png))
    assert colours > 1 and colourful > 0


async def test_an_alert_notifies_once_while_true_and_says_when_it_recovers(
    scheduling: Services, mail: tuple[int, list[Received]]
) -> None:
    owner = admin(scheduling)
    rule = AlertRule(Condition.ABOVE, column="customers", value=0)
    target = saved_query(scheduling, owner)
    schedule = add_schedule(scheduling, owner, TargetKind.SAVED_QUERY, target, alert=rule)
    runner, store = scheduling.schedule_runner, scheduling.schedule_runner.schedules

    [first] = await runner.deliver(schedule, TICK)
    [second] = await runner.deliver(_stored(store, schedule.id), TICK + timedelta(hours=1))
    # the threshold moves above the metric: the condition is false again
    store.change(schedule.id, alert=AlertRule(Condition.ABOVE, column="customers", value=1e9))
    [third] = await runner.deliver(_stored(store, schedule.id), TICK + timedelta(hours=2))

    assert [first.status, second.status, third.status] == [
        DeliveryStatus.SENT,
        DeliveryStatus.SKIPPED,
        DeliveryStatus.SENT,
    ]
    assert [m.message["Subject"] for m in mail[1]] == [
        "Alert: Monday regions",
        "Recovered: Monday regions",
    ]
    assert "customers is above 0 (" in html_of(mail[1][0].message)
    assert "customers is no longer above 1e+09 (" in html_of(mail[1][1].message)


def _stored(store: Schedules, schedule_id: int) -> ScheduleRecord:
    found = store.get(schedule_id)
    assert found is not None
    return found


async def test_as_each_recipient_a_query_changed_to_write_runs_for_nobody(
    scheduling: Services, mail: tuple[int, list[Received]]
) -> None:
    # The check at creation is not enough: the saved query may be edited afterwards.
    owner = admin(scheduling)
    user(scheduling, "ann", "ann@example.com")
    writer = saved_query(scheduling, owner, "CREATE TABLE copied AS SELECT * FROM regions")
    schedule = add_schedule(
        scheduling,
        owner,
        TargetKind.SAVED_QUERY,
        writer,
        run_as=RunAs.RECIPIENT,
        recipients=("ann@example.com",),
    )

    [delivery] = await scheduling.schedule_runner.deliver(schedule, TICK)

    assert delivery.status == DeliveryStatus.FAILED
    assert "only read data" in (delivery.message or "")
    assert mail[1] == []
    assert scheduling.audit.find(AuditFilter(surface="schedule"), limit=5) == []
