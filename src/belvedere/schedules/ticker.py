"""The ticker: every server looks for due schedules every ``schedule_tick_seconds``; a claim in
the metadata store (unique per schedule and tick) lets exactly one process deliver each tick.
Ticks missed while everything was down coalesce: the latest of them runs once on return."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from belvedere.concurrency import Lane
from belvedere.schedules.cron import latest_due, next_after
from belvedere.schedules.model import ScheduleRecord
from belvedere.schedules.runner import ScheduleRunner
from belvedere.store.models import utcnow
from belvedere.store.schedules import Schedules

if TYPE_CHECKING:
    from belvedere.services import Services

log = logging.getLogger(__name__)

#: Just before a tick, so that the tick itself is in the window ``(since, now]``.
JUST_BEFORE = timedelta(microseconds=1)


def claimer_name() -> str:
    """This process, as its claims record it: ``host:pid:nonce``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Ticker:
    """Claim the due ticks of schedules and start their deliveries."""

    def __init__(
        self,
        schedules: Schedules,
        runner: ScheduleRunner,
        claimer: str,
        io: Lane,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._schedules = schedules
        self._runner = runner
        self._claimer = claimer
        self._io = io
        self._clock = clock

    async def tick(self) -> int:
        """Claim every due tick this process wins and start its delivery; how many."""
        now = self._clock()
        claimed = 0
        for schedule in await self._io.run(self._schedules.due, now):
            due_at = await self._io.run(self._claim, schedule, now)
            if due_at is not None:
                self._runner.start(schedule, due_at)
                claimed += 1
        return claimed

    def _claim(self, schedule: ScheduleRecord, now: datetime) -> datetime | None:
        """The tick to deliver if this process won it, and the schedule moved to its next
        tick (blocking). The tick is the latest fire time since the one it waited for: a
        day of missed ticks is one delivery."""
        assert schedule.next_run_at is not None  # due() returns scheduled ones
        try:
            due_at = latest_due(
                schedule.cron, schedule.timezone, schedule.next_run_at - JUST_BEFORE, now
            )
            following = next_after(schedule.cron, schedule.timezone, now)
        except ValueError as exc:  # a cron or time zone that no longer parses
            self._schedules.pause(schedule.id, f"Its timing is no longer valid: {exc}")
            return None
        due_at = due_at or schedule.next_run_at
        won = self._schedules.claim(schedule.id, due_at, self._claimer)
        # The winner moves it on; a loser too (the same next tick), in case the winner
        # stopped between its claim and this.
        self._schedules.advance(schedule.id, following)
        return due_at if won else None


async def run_ticker(ticker: Ticker, every_seconds: float, runner: ScheduleRunner) -> None:
    """Tick every ``every_seconds`` until cancelled (then deliveries under way stop too, a
    tick that reached nobody given back); a failed tick is logged and the next one tries
    again."""
    try:
        while True:
            try:
                await ticker.tick()
            except Exception:
                log.exception("the schedule ticker failed; it will try again")
            await asyncio.sleep(every_seconds)
    finally:
        await runner.stop()


def start(services: Services) -> asyncio.Task[None]:
    """Start this server's ticker as a task of the running loop (cancel it at shutdown)."""
    runner = services.schedule_runner
    ticker = Ticker(runner.schedules, runner, claimer_name(), services.pools.io)
    every = services.settings.schedule_tick_seconds
    return asyncio.create_task(run_ticker(ticker, every, runner), name="schedule ticker")
