"""The schedule service: what the web layer calls to create, read, change, delete and send
schedules, with the rules of whose data goes to whom."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import partial
from typing import Any

from belvedere.auth.account import Account
from belvedere.auth.roles import Role
from belvedere.charts.errors import ChartNotFound
from belvedere.charts.library import SavedCharts
from belvedere.concurrency import Lane
from belvedere.connections.service import ConnectionNotFound, ConnectionService
from belvedere.dashboards.errors import DashboardNotFound
from belvedere.dashboards.service import DashboardService
from belvedere.identity.service import per_user
from belvedere.queries.service import SavedQueryService
from belvedere.schedules.audit import events
from belvedere.schedules.cron import ScheduleInvalid, next_after
from belvedere.schedules.model import DeliveryRecord, RunAs, ScheduleRecord, TargetKind
from belvedere.schedules.privacy import shown_deliveries, shown_view
from belvedere.schedules.rules import ScheduleDraft, checked, refusal_as_recipient
from belvedere.store.saved_queries import SavedQueryNotFound
from belvedere.store.schedules import Schedules
from belvedere.store.users import Users
from belvedere.warehouses.internal.spend import INTERNAL_CONNECTION
from belvedere.warehouses.registry import backend_class

Send = Callable[[ScheduleRecord], Awaitable[None]]
"""Sends a schedule's report now (the runner's ``send_now``)."""
MAX_DELIVERIES = 200
#: Changes after which the target and whose data it shows are checked again.
_ACCESS_FIELDS = frozenset(
    {
        "target_kind",
        "target_id",
        "channel",
        "recipients",
        "webhook_url",
        "run_as",
        "recipients_see_owner_data",
    }
)


class ScheduleNotFound(LookupError):
    """No schedule of that id that the user may see (whether it exists or not)."""

    def __init__(self, schedule_id: int) -> None:
        super().__init__(f"No schedule {schedule_id}.")


@dataclass(frozen=True)
class ScheduleView:
    """A schedule as its reader sees it: the record, its owner's username, and what the
    record leaves out (whether its webhook is signed; who confirmed what recipients see;
    whether its alert held at the last evaluation, for anyone)."""

    record: ScheduleRecord
    owner: str
    webhook_signed: bool
    confirmed_by: str | None
    confirmed_at: datetime | None
    alerting: bool | None = False
    """``None``: not shown to this reader (see :mod:`belvedere.schedules.privacy`)."""


async def not_wired(schedule: ScheduleRecord) -> None:
    """Placeholder until the runner is wired (``Services.schedule_runner.send_now``)."""
    raise NotImplementedError("Sending a schedule now is not wired yet.")


def _now() -> datetime:
    return datetime.now(UTC)


class ScheduleService:
    """Schedules through their rules: who sees one, what it may send to whom, when it runs."""

    def __init__(
        self,
        schedules: Schedules,
        users: Users,
        saved_queries: SavedQueryService,
        charts: SavedCharts,
        dashboards: DashboardService,
        connections: ConnectionService,
        io: Lane,
        *,
        send: Send = not_wired,
        now: Callable[[], datetime] = _now,
    ) -> None:
        self._schedules = schedules
        self.repository = schedules
        """The store of schedules, for the runner and the ticker (blocking)."""
        self._users = users
        self._saved_queries = saved_queries
        self._charts = charts
        self._dashboards = dashboards
        self._connections = connections
        self._io = io
        self.send = send
        """Sends a schedule now: replaced by the runner's once it exists."""
        self._now = now

    # -- reading -------------------------------------------------------------------------

    def _visible(self, reader: Account, schedule_id: int) -> ScheduleRecord:
        found = self._schedules.get(schedule_id)
        if found is None or not (found.owner_id == reader.id or _is_admin(reader)):
            raise ScheduleNotFound(schedule_id)
        return found

    def _views(self, records: list[ScheduleRecord], reader: Account) -> list[ScheduleView]:
        names = {u.id: u.username for u in self._users.list()}
        extras = self._schedules.extras(r.id for r in records)
        return [
            shown_view(
                reader,
                ScheduleView(
                    record=r,
                    owner=names.get(r.owner_id, "?"),
                    webhook_signed=found.webhook_signed,
                    confirmed_by=names.get(found.confirmed_by) if found.confirmed_by else None,
                    confirmed_at=found.confirmed_at,
                    alerting=found.alerting,
                ),
            )
            for r in records
            if (found := extras.get(r.id)) is not None
        ]

    async def list_visible(self, reader: Account) -> list[ScheduleView]:
        """The reader's schedules (an admin's: everyone's), by name."""

        def read() -> list[ScheduleView]:
            if _is_admin(reader):
                return self._views(self._schedules.list_all(), reader)
            return self._views(self._schedules.list_owned(reader.id), reader)

        return await self._io.run(read)

    async def get(self, reader: Account, schedule_id: int) -> ScheduleView:
        """A schedule the reader owns (any, for an admin): ``ScheduleNotFound`` otherwise."""

        def read() -> ScheduleView:
            return self._views([self._visible(reader, schedule_id)], reader)[0]

        return await self._io.run(read)

    async def deliveries(
        self, reader: Account, schedule_id: int, limit: int = 50
    ) -> list[DeliveryRecord]:
        """A schedule's delivery attempts, newest first (at most ``MAX_DELIVERIES``)."""

        def read() -> list[DeliveryRecord]:
            schedule = self._visible(reader, schedule_id)
            found = self._schedules.deliveries(schedule_id, min(limit, MAX_DELIVERIES))
            return shown_deliveries(reader, schedule, found)

        return await self._io.run(read)

    # -- changing ------------------------------------------------------------------------

    async def create(
        self, owner: Account, draft: ScheduleDraft, webhook_secret: bytes | None = None
    ) -> ScheduleView:
        """A new schedule of ``owner``'s (``ScheduleInvalid`` naming the field at fault,
        nothing stored)."""
        draft = checked(draft)
        await self._check_access(owner, draft)
        now = self._now()
        stored: dict[str, Any] = {
            **_draft_fields(draft),
            "owner_id": owner.id,
            "webhook_secret": webhook_secret if draft.webhook_url else None,
            "next_run_at": next_after(draft.cron, draft.timezone, now) if draft.active else None,
            **_confirmation(owner, draft, was_confirmed=False, now=now),
        }
        audit = partial(events, owner.id)
        record = await self._io.run(lambda: self._schedules.add(audit=audit, **stored))
        return await self.get(owner, record.id)

    async def change(
        self, editor: Account, schedule_id: int, changes: Mapping[str, Any]
    ) -> ScheduleView:
        """Change a schedule the editor may see: ``changes`` as :class:`ScheduleDraft` names
        them, and ``webhook_secret`` (bytes, or ``None`` to remove it). The whole schedule is
        checked again; a change of cron, time zone or activation sets its next run, and
        activating clears why it was paused."""
        record = await self._io.run(self._visible, editor, schedule_id)
        draft = checked(_merged(record, changes))
        owner = editor if record.owner_id == editor.id else await self._owner(record)
        if _ACCESS_FIELDS & set(changes) or (draft.active and not record.active):
            await self._check_access(owner, draft)
        now = self._now()
        stored: dict[str, Any] = {
            **_draft_fields(draft),
            **_confirmation(editor, draft, was_confirmed=record.recipients_see_owner_data, now=now),
        }
        if "webhook_secret" in changes:
            stored["webhook_secret"] = changes["webhook_secret"]
        if draft.webhook_url is None:
            stored["webhook_secret"] = None
        timing = ("cron", "timezone", "active")
        if any(getattr(draft, f) != getattr(record, f) for f in timing):
            stored["next_run_at"] = (
                next_after(draft.cron, draft.timezone, now) if draft.active else None
            )
        if draft.active and not record.active:
            stored["paused_reason"] = None

        secret_changed = "webhook_secret" in changes and draft.webhook_url is not None
        audit = partial(events, editor.id, secret_changed=secret_changed)

        def write() -> None:
            try:
                self._schedules.change(schedule_id, audit=audit, **stored)
            except LookupError:  # deleted meanwhile
                raise ScheduleNotFound(schedule_id) from None

        await self._io.run(write)
        return await self.get(editor, schedule_id)

    async def delete(self, editor: Account, schedule_id: int) -> None:
        """Delete a schedule the editor may see, with its history."""

        def write() -> None:
            self._visible(editor, schedule_id)
            self._schedules.delete(schedule_id, audit=partial(events, editor.id))

        await self._io.run(write)

    async def send_now(self, editor: Account, schedule_id: int) -> None:
        """Send a schedule the editor may see now, whether active or paused."""
        record = await self._io.run(self._visible, editor, schedule_id)
        await self.send(record)

    # -- access --------------------------------------------------------------------------

    async def _owner(self, record: ScheduleRecord) -> Account:
        owner = await self._io.run(self._users.get, record.owner_id)
        if owner is None:  # owners' schedules go with them; this is a race with that
            raise ScheduleNotFound(record.id)
        return owner

    async def _target(self, owner: Account, draft: ScheduleDraft) -> tuple[set[str], str | None]:
        """The connections the target queries, and its SQL if it is a saved query, if its
        owner may see it (``ScheduleInvalid`` on ``target`` otherwise)."""
        kind, target_id = draft.target_kind, draft.target_id
        try:
            if kind is TargetKind.SAVED_QUERY:
                saved = await self._saved_queries.visible(owner, target_id)
                return {saved.connection_name}, saved.sql
            if kind is TargetKind.CHART:
                return {(await self._charts.owned(target_id, owner.id)).connection_name}, None
            view = await self._dashboards.get(owner, target_id)
            return {chart.connection_name for chart in view.charts.values()}, None
        except (SavedQueryNotFound, ChartNotFound, DashboardNotFound):
            what = kind.value.replace("_", " ")
            raise ScheduleInvalid(
                "target", f"No {what} {target_id} that the schedule's owner can see."
            ) from None

    def _per_user(self, connection: str) -> bool:
        """Whether queries on the connection run as each user (blocking)."""
        if connection == INTERNAL_CONNECTION:  # each user's own runs
            return True
        try:
            view = self._connections.get(connection)
            options = self._connections.options(connection)
        except ConnectionNotFound:
            raise ScheduleInvalid(
                "target", f"The target's connection {connection} no longer exists."
            ) from None
        return per_user(backend_class(view.kind), options) is not None

    def _outsiders(self, addresses: tuple[str, ...]) -> list[str]:
        """The addresses of no active Belvedere user (blocking)."""
        known = {u.email.lower() for u in self._users.list() if u.email and u.is_active}
        return [a for a in addresses if a.lower() not in known]

    async def _check_access(self, owner: Account, draft: ScheduleDraft) -> None:
        """The owner sees the target; its data goes only where the connections allow; run
        as each recipient, a saved query only reads."""
        connections, sql = await self._target(owner, draft)
        if draft.run_as is RunAs.RECIPIENT and sql is not None:
            [connection] = connections
            kind = (await self._io.run(self._connections.get, connection)).kind
            if refused := refusal_as_recipient(backend_class(kind).quirks.dialect, sql):
                raise ScheduleInvalid("run_as", refused)

        def check() -> None:
            personal = sorted(c for c in connections if self._per_user(c))
            if draft.run_as is RunAs.RECIPIENT:
                shared = sorted(connections - set(personal))
                if shared:
                    raise ScheduleInvalid(
                        "run_as",
                        f"Connection {shared[0]} queries as itself, not as each user: every "
                        "recipient would get the same rows. Run the schedule as its owner.",
                    )
                return
            if not personal or draft.recipients_see_owner_data:
                return
            confirm = (
                f"connection {personal[0]} shows each user their own rows: confirm that "
                "recipients will see what you see (recipients_see_owner_data)"
            )
            if draft.webhook_url:
                raise ScheduleInvalid(
                    "webhook_url", f"A webhook reaches people outside Belvedere, and {confirm}."
                )
            outside = self._outsiders(draft.recipients)
            if outside:
                raise ScheduleInvalid(
                    "recipients",
                    f"{outside[0]} is not a Belvedere user, and {confirm}, or send it to "
                    "Belvedere users only.",
                )

        await self._io.run(check)


def _is_admin(user: Account) -> bool:
    return user.role == Role.ADMIN.value


def _draft_fields(draft: ScheduleDraft) -> dict[str, Any]:
    return {f.name: getattr(draft, f.name) for f in fields(draft)}


def _merged(record: ScheduleRecord, changes: Mapping[str, Any]) -> ScheduleDraft:
    """The stored schedule with ``changes`` applied; switching channel drops what the other
    channel had (recipients, or the webhook URL) unless the change gives it."""
    merged = {f.name: getattr(record, f.name) for f in fields(ScheduleDraft)}
    merged.update({k: v for k, v in changes.items() if k in merged})
    if "channel" in changes and changes["channel"] != record.channel:
        if "webhook_url" not in changes:
            merged["webhook_url"] = None
        if "recipients" not in changes:
            merged["recipients"] = ()
    return ScheduleDraft(**merged)


def _confirmation(
    who: Account, draft: ScheduleDraft, *, was_confirmed: bool, now: datetime
) -> dict[str, Any]:
    """Who confirmed that recipients see the owner's rows, and when: kept with the schedule
    while it is confirmed, forgotten when withdrawn (the audit log keeps both: see
    :mod:`belvedere.schedules.audit`)."""
    if not draft.recipients_see_owner_data:
        return {"owner_data_confirmed_by": None, "owner_data_confirmed_at": None}
    if was_confirmed:
        return {}
    return {"owner_data_confirmed_by": who.id, "owner_data_confirmed_at": now}
