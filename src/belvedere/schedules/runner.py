"""Deliver a schedule: build its report as the right identity, evaluate its alert, send it with
retries, and record one delivery row per attempt and recipient.

As owner, the report runs as the owner and goes to every recipient; as each recipient, each
recipient who is an active Belvedere user gets a report run as them (an address of no user is
skipped and says why); an alert is evaluated on each report against the state of whom it
goes to (each recipient's own, or one for everyone as owner). A missing or revoked grant of
the owner pauses the schedule and tells the owner how to reconnect; a recipient without a
grant is asked to connect, and is sent nobody else's rows. Building and sending are bounded:
an SMTP server that hangs holds a send slot for at most its timeout, and the other schedules
go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from belvedere.auth.account import Account
from belvedere.concurrency import Pools
from belvedere.execution.runs import Actor
from belvedere.identity.authorize import authorize_url
from belvedere.schedules.alerts import evaluate
from belvedere.schedules.content import Built, ContentFailed, NeedsAuthorization, ReportBuilder
from belvedere.schedules.delivery.email import SmtpSender
from belvedere.schedules.delivery.images import ImageLinks
from belvedere.schedules.delivery.report import DeliveryFailed, Report
from belvedere.schedules.delivery.webhook import WebhookSender
from belvedere.schedules.model import (
    Channel,
    DeliveryRecord,
    DeliveryStatus,
    RunAs,
    ScheduleRecord,
)
from belvedere.store.alert_states import EVERYONE, recipient_key
from belvedere.store.models import utcnow
from belvedere.store.schedules import Schedules
from belvedere.store.users import Users

log = logging.getLogger(__name__)

#: Reports built at once unless told (``schedule_concurrency``; each runs its queries through
#: the execution service and holds a slot while it waits for the warehouse).
DEFAULT_CONCURRENCY = 32
#: Messages or webhook calls sent at once: a quarter of the reports built at once, at least
#: this many (each holds a thread of the remote lane up to its timeout).
MIN_SENDING = 4
#: How long a stopping server waits for its deliveries to give their ticks back.
STOP_GRACE_SECONDS = 5.0
#: Where a reconnected user lands.
RECONNECT_NEXT = "/sqllab"


@dataclass(frozen=True)
class Plan:
    """Whose rows go where: one report, built as ``actor``, for each of ``destinations``;
    ``audience`` keys its alert's state (a recipient's, or :data:`EVERYONE`'s)."""

    actor: Actor
    user: Account
    destinations: list[str]
    audience: str = EVERYONE


class ScheduleRunner:
    """Deliver schedules (``deliver``; ``start`` and ``send_now`` run it as a task)."""

    def __init__(
        self,
        schedules: Schedules,
        users: Users,
        reports: ReportBuilder,
        pools: Pools,
        *,
        retry_seconds: Sequence[float],
        smtp: SmtpSender | None,
        webhook: WebhookSender,
        images: ImageLinks,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        """``retry_seconds``: the waits before each retry of a failed send; ``smtp``:
        ``None`` when no SMTP server is configured (e-mail deliveries then fail saying so);
        ``concurrency``: reports built at once (a quarter as many sent at once, at least
        :data:`MIN_SENDING`)."""
        self.schedules = self._schedules = schedules
        self._users = users
        self._reports = reports
        self._io = pools.io
        self._network = pools.remote  # sends wait on other servers, as queries do
        self._retry = tuple(retry_seconds)
        self._smtp = smtp
        self._webhook = webhook
        self._images = images
        self._sleep = sleep
        self._building = asyncio.Semaphore(concurrency)
        self._sending = asyncio.Semaphore(max(MIN_SENDING, concurrency // 4))
        self._tasks: set[asyncio.Task[list[DeliveryRecord]]] = set()

    # -- tasks ---------------------------------------------------------------------------

    def start(
        self, schedule: ScheduleRecord, due_at: datetime | None
    ) -> asyncio.Task[list[DeliveryRecord]]:
        """Deliver as a task of the running loop (kept until it ends; failures logged)."""
        task = asyncio.create_task(self.deliver(schedule, due_at), name=f"schedule {schedule.id}")
        self._tasks.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[list[DeliveryRecord]]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a schedule's delivery failed", exc_info=task.exception())

    async def send_now(self, schedule: ScheduleRecord) -> None:
        """Send a schedule now, whatever its next tick (its history shows how it went)."""
        self.start(schedule, None)

    @property
    def pending(self) -> int:
        """Deliveries under way in this process."""
        return len(self._tasks)

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop every delivery under way (at shutdown), waiting up to ``grace`` seconds for
        each to give its tick back (see :meth:`deliver`)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)

    # -- one delivery --------------------------------------------------------------------

    async def deliver(
        self, schedule: ScheduleRecord, due_at: datetime | None
    ) -> list[DeliveryRecord]:
        """Deliver one tick (``due_at``) of a schedule, or a "send now" (``None``); the
        delivery rows it wrote, newest first."""
        rows: list[int] = []
        owner = await self._io.run(self._users.get, schedule.owner_id)
        if owner is None or not owner.is_active:
            await self._io.run(
                self._schedules.pause, schedule.id, "The owner's account is no longer active."
            )
            return []
        try:
            plans = await self._plans(schedule, owner, due_at, rows)
            await asyncio.gather(
                *(self._deliver_plan(schedule, owner, p, due_at, rows) for p in plans)
            )
        except asyncio.CancelledError:  # the server is stopping: a tick sent to nobody yet
            if due_at is not None:  # is given back, to be delivered once elsewhere or later
                await self._io.run(self._schedules.give_back, schedule.id, due_at, list(rows))
            raise
        found = await self._io.run(self._schedules.deliveries, schedule.id, max(50, 4 * len(rows)))
        written = set(rows)
        return [d for d in found if d.id in written]

    async def _plans(
        self, schedule: ScheduleRecord, owner: Account, due_at: datetime | None, rows: list[int]
    ) -> list[Plan]:
        """Whose rows go where; addresses of no Belvedere user are recorded as skipped."""
        destinations = (
            [schedule.webhook_url or ""]
            if schedule.channel is Channel.WEBHOOK
            else list(schedule.recipients)
        )
        if schedule.run_as is RunAs.OWNER or schedule.channel is Channel.WEBHOOK:
            return [Plan(Actor.of(owner), owner, destinations)]
        accounts = await self._io.run(self._users.list)
        by_email = {a.email.lower(): a for a in accounts if a.email and a.is_active}
        plans = []
        for address in destinations:
            user = by_email.get(address.lower())
            if user is None:
                why = (
                    "No active Belvedere user has this address; the report runs as each recipient."
                )
                await self._record(schedule, due_at, address, DeliveryStatus.SKIPPED, why, rows)
            else:
                plans.append(Plan(Actor.of(user), user, [address], recipient_key(address)))
        return plans

    async def _deliver_plan(
        self,
        schedule: ScheduleRecord,
        owner: Account,
        plan: Plan,
        due_at: datetime | None,
        rows: list[int],
    ) -> None:
        try:
            async with self._building:
                built = await self._reports.report_for(schedule, plan.actor)
        except NeedsAuthorization as exc:
            if schedule.run_as is RunAs.OWNER:
                await self._paused(schedule, owner, plan, exc, due_at, rows)
            else:
                await self._ask_to_connect(schedule, plan, exc, due_at, rows)
            return
        except ContentFailed as exc:
            for address in plan.destinations:
                await self._record(
                    schedule, due_at, address, DeliveryStatus.FAILED, str(exc), rows, exc.run_ids
                )
            return
        except Exception as exc:  # recorded, so that the history says it failed
            log.exception("schedule %s: its report could not be built", schedule.id)
            why = f"The report could not be built: {exc}"
            for address in plan.destinations:
                await self._record(schedule, due_at, address, DeliveryStatus.FAILED, why, rows)
            return
        report = await self._alerted(schedule, plan, built, due_at, rows)
        if report is None:
            return
        await asyncio.gather(
            *(
                self._send_retrying(schedule, a, report, built, due_at, rows)
                for a in plan.destinations
            )
        )

    async def _alerted(
        self,
        schedule: ScheduleRecord,
        plan: Plan,
        built: Built,
        due_at: datetime | None,
        rows: list[int],
    ) -> Report | None:
        """The report to send: itself; an alert's notice; or ``None`` when the alert has
        nothing to say (recorded as skipped). The alert's state is the plan's audience's:
        as each recipient, alice's rows may hold while bob's do not."""
        if schedule.alert is None:
            return built.report
        alerts = self._schedules.alerts
        state = await self._io.run(alerts.get, schedule.id, plan.audience)
        decision = evaluate(schedule.alert, built.rows, built.columns, state, utcnow())
        await self._io.run(alerts.save, schedule.id, decision.state, plan.audience)
        if not (decision.notify or decision.recovered):
            why = f"Checked; no notice to send. {decision.summary}"
            whose = plan.destinations[0] if plan.audience != EVERYONE else None
            await self._record(
                schedule, due_at, whose, DeliveryStatus.SKIPPED, why, rows, built.run_ids
            )
            return None
        subject = f"{'Recovered' if decision.recovered else 'Alert'}: {schedule.name}"
        return replace(built.report, subject=subject, intro=decision.summary)

    # -- sending -------------------------------------------------------------------------

    async def _send_retrying(
        self,
        schedule: ScheduleRecord,
        recipient: str,
        report: Report,
        built: Built,
        due_at: datetime | None,
        rows: list[int],
    ) -> None:
        """Send to one recipient; a failure is tried again after each of the retry waits.
        Every attempt is a delivery row: sent, retrying (with the server's words), failed."""
        for attempt in range(1, len(self._retry) + 2):
            row = await self._io.run(
                self._schedules.start_delivery, schedule.id, due_at, recipient, attempt
            )
            rows.append(row)
            try:
                async with self._sending:
                    await self._send(schedule, recipient, report)
            except Exception as exc:
                message = str(exc) if isinstance(exc, DeliveryFailed) else f"Sending failed: {exc}"
                if attempt > len(self._retry):
                    await self._end(row, DeliveryStatus.FAILED, message, built.run_ids)
                    return
                wait = self._retry[attempt - 1]
                retrying = f"{message} (trying again in {wait:g} s)"
                await self._end(row, DeliveryStatus.RETRYING, retrying, built.run_ids)
                await self._sleep(wait)
            else:
                await self._end(row, DeliveryStatus.SENT, None, built.run_ids)
                return

    async def _send(self, schedule: ScheduleRecord, recipient: str, report: Report) -> None:
        """One attempt, on the remote lane (the sender's own timeout bounds it)."""
        if schedule.channel is Channel.WEBHOOK:
            secret = await self._io.run(self._schedules.webhook_secret, schedule.id)
            links = await self._io.run(self._images.urls, report, self._reports.link(""))
            await self._network.run(self._webhook.send, recipient, secret, report, links)
            return
        if self._smtp is None:
            raise DeliveryFailed("No SMTP server is configured (set BELVEDERE_SMTP_URL).")
        await self._network.run(self._smtp.send, [recipient], report)

    async def _end(
        self, row: int, status: DeliveryStatus, message: str | None, run_ids: Sequence[str]
    ) -> None:
        await self._io.run(self._schedules.end_delivery, row, status, message, run_ids)

    async def _record(
        self,
        schedule: ScheduleRecord,
        due_at: datetime | None,
        recipient: str | None,
        status: DeliveryStatus,
        message: str,
        rows: list[int],
        run_ids: Sequence[str] = (),
    ) -> None:
        """A delivery row that is over as soon as written (skipped, failed before sending)."""
        row = await self._io.run(self._schedules.start_delivery, schedule.id, due_at, recipient, 1)
        rows.append(row)
        await self._end(row, status, message, run_ids)

    # -- when a grant is missing ---------------------------------------------------------

    async def _paused(
        self,
        schedule: ScheduleRecord,
        owner: Account,
        plan: Plan,
        exc: NeedsAuthorization,
        due_at: datetime | None,
        rows: list[int],
    ) -> None:
        """The owner's grant is missing or revoked: pause, and tell the owner how to
        reconnect (nothing is sent to anyone else)."""
        reason = f"{exc} Then resume this schedule (it runs as {owner.username})."
        await self._io.run(self._schedules.pause, schedule.id, reason)
        for address in plan.destinations:
            await self._record(schedule, due_at, address, DeliveryStatus.FAILED, reason, rows)
        notice = Report(
            subject=f"Paused: {schedule.name}",
            title=f"Your schedule {schedule.name!r} is paused",
            link=self._reports.link(authorize_url(exc.connection, RECONNECT_NEXT)),
            sections=[],
            intro=f"Belvedere could not query {exc.connection} as you: {exc} Follow the link "
            "to connect again, then resume the schedule.",
        )
        await self._notify(schedule, owner.email, notice, "Told the owner.", due_at, rows)

    async def _ask_to_connect(
        self,
        schedule: ScheduleRecord,
        plan: Plan,
        exc: NeedsAuthorization,
        due_at: datetime | None,
        rows: list[int],
    ) -> None:
        """A recipient without a grant: ask them to connect; they get no one else's rows."""
        notice = Report(
            subject=f"Connect to {exc.connection} to receive {schedule.name}",
            title=f"Connect to {exc.connection}",
            link=self._reports.link(authorize_url(exc.connection, RECONNECT_NEXT)),
            sections=[],
            intro=f"The report {schedule.name!r} runs as you, with your own rows, but Belvedere "
            f"could not query {exc.connection} as you: {exc} Follow the link to connect; the "
            "next report will hold your rows.",
        )
        for address in plan.destinations:
            why = (
                f"{plan.user.username} is not connected to {exc.connection} (never connected, "
                "or the grant was revoked); asked them to connect."
            )
            await self._notify(schedule, address, notice, why, due_at, rows)

    async def _notify(
        self,
        schedule: ScheduleRecord,
        address: str | None,
        notice: Report,
        what: str,
        due_at: datetime | None,
        rows: list[int],
    ) -> None:
        """E-mail a notice once, recorded as a skipped delivery saying what was done."""
        if address is None or self._smtp is None:
            log.warning("schedule %s: nobody could be told: %s", schedule.id, notice.intro)
            return
        try:
            async with self._sending:
                await self._network.run(self._smtp.send, [address], notice)
        except Exception as exc:
            what = f"{what.removesuffix('.')}, but sending failed: {exc}"
        await self._record(schedule, due_at, address, DeliveryStatus.SKIPPED, what, rows)
