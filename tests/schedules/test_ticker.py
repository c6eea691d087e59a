"""The ticker: two servers on one metadata store deliver each tick once, and a day of ticks
missed while nothing ran is delivered once on return."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from belvedere.schedules.model import DeliveryStatus, TargetKind
from belvedere.schedules.ticker import Ticker
from belvedere.services import Services
from belvedere.settings import Settings
from belvedere.store.schedule_ticks import GIVEN_BACK
from tests.schedules.scheduling import (
    BOSS,
    add_schedule,
    admin,
    make_services,
    saved_query,
    settled,
)
from tests.support.delivery import Received, silent_server

pytestmark = pytest.mark.anyio

#: Mid-hour, so that a minute later is still in the same hour whenever the tests run.
NOW = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
HOURLY = "0 * * * *"


@pytest.fixture
def servers(
    make_settings: Callable[..., Settings], demo_path: Path, mail: tuple[int, list[Received]]
) -> Iterator[tuple[Services, Services]]:
    """Two servers' services on one metadata store (an SQLite file in one data directory)."""
    first = make_services(make_settings, demo_path, mail[0])
    second = make_services(make_settings, demo_path, mail[0])
    assert first.settings.metadata_url == second.settings.metadata_url
    yield first, second
    second.close()
    first.close()


def ticker(services: Services, name: str, now: datetime = NOW) -> Ticker:
    runner = services.schedule_runner
    return Ticker(runner.schedules, runner, name, services.pools.io, clock=lambda: now)


async def test_two_servers_ticking_the_same_due_schedule_deliver_it_once(
    servers: tuple[Services, Services], mail: tuple[int, list[Received]]
) -> None:
    first, second = servers
    owner = admin(first)
    schedule = add_schedule(
        first,
        owner,
        TargetKind.SAVED_QUERY,
        saved_query(first, owner),
        cron=HOURLY,
        next_run_at=NOW.replace(minute=0, second=0),
    )

    claimed = await asyncio.gather(ticker(first, "one").tick(), ticker(second, "two").tick())
    await settled(first)
    await settled(second)

    assert sorted(claimed) == [0, 1]
    assert [m.recipients for m in mail[1]] == [[BOSS]]
    [delivery] = first.schedule_runner.schedules.deliveries(schedule.id)
    assert (delivery.status, delivery.due_at) == (
        DeliveryStatus.SENT,
        NOW.replace(minute=0, second=0),
    )
    # Both tick again later in the same hour: the schedule waits for the next one.
    assert await ticker(first, "one").tick() == 0
    assert await ticker(second, "two").tick() == 0
    stored = first.schedule_runner.schedules.get(schedule.id)
    assert stored is not None
    assert stored.next_run_at == NOW.replace(minute=0, second=0) + timedelta(hours=1)


async def test_a_day_of_missed_ticks_is_delivered_once_on_return(
    servers: tuple[Services, Services], mail: tuple[int, list[Received]]
) -> None:
    services, _ = servers
    owner = admin(services)
    this_hour = NOW.replace(minute=0, second=0)
    schedule = add_schedule(
        services,
        owner,
        TargetKind.SAVED_QUERY,
        saved_query(services, owner),
        cron=HOURLY,
        next_run_at=this_hour - timedelta(days=1),  # the last tick it waited for: a day ago
    )

    assert await ticker(services, "back").tick() == 1
    await settled(services)
    assert await ticker(services, "back", NOW + timedelta(minutes=1)).tick() == 0

    assert len(mail[1]) == 1
    [delivery] = services.schedule_runner.schedules.deliveries(schedule.id)
    assert delivery.due_at == this_hour  # the latest missed tick, once
    stored = services.schedule_runner.schedules.get(schedule.id)
    assert stored is not None and stored.next_run_at == this_hour + timedelta(hours=1)


async def test_a_paused_schedule_is_not_delivered(
    servers: tuple[Services, Services], mail: tuple[int, list[Received]]
) -> None:
    services, _ = servers
    owner = admin(services)
    add_schedule(
        services,
        owner,
        TargetKind.SAVED_QUERY,
        saved_query(services, owner),
        cron=HOURLY,
        active=False,
        next_run_at=NOW - timedelta(hours=2),
    )
    assert await ticker(services, "one").tick() == 0
    assert mail[1] == []


async def test_a_tick_stopped_with_its_server_before_it_was_sent_is_delivered_by_another(
    make_settings: Callable[..., Settings],
    demo_path: Path,
    mail: tuple[int, list[Received]],
) -> None:
    this_hour = NOW.replace(minute=0, second=0)
    with silent_server() as silent:
        # The first server's mail server never answers; it stops mid-send (a deploy at 8:00).
        first = make_services(make_settings, demo_path, silent, smtp_timeout_seconds=2)
        second = make_services(make_settings, demo_path, mail[0])
        try:
            owner = admin(first)
            schedule = add_schedule(
                first,
                owner,
                TargetKind.SAVED_QUERY,
                saved_query(first, owner),
                cron=HOURLY,
                next_run_at=this_hour,
            )
            store = first.schedule_runner.schedules
            assert await ticker(first, "one").tick() == 1
            deadline = time.monotonic() + 30
            while not store.deliveries(schedule.id):  # its attempt is under way
                assert time.monotonic() < deadline, "the delivery never started"
                await asyncio.sleep(0.02)

            await first.schedule_runner.stop()

            [stopped] = store.deliveries(schedule.id)
            assert (stopped.status, stopped.message) == (DeliveryStatus.FAILED, GIVEN_BACK)
            given_back = store.get(schedule.id)
            assert given_back is not None and given_back.next_run_at == this_hour
            assert await ticker(second, "two").tick() == 1
            await settled(second)
            assert [m.recipients for m in mail[1]] == [[BOSS]]
            sent, _ = store.deliveries(schedule.id)
            assert (sent.status, sent.due_at) == (DeliveryStatus.SENT, this_hour)
        finally:
            second.close()
            first.close()
