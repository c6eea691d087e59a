"""Schedules: reports and alerts on a cron, by e-mail or webhook, and their delivery history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field, field_validator

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission
from belvedere.schedules.model import (
    AlertRule,
    Channel,
    Condition,
    DeliveryRecord,
    DeliveryStatus,
    RunAs,
    TargetKind,
)
from belvedere.schedules.rules import ScheduleDraft
from belvedere.schedules.service import MAX_DELIVERIES, ScheduleView
from belvedere.store.ids import RowId
from belvedere.web.api.schemas import ErrorOut, Patch
from belvedere.web.deps import ServicesDep, require

router = APIRouter(
    prefix="/schedules",
    tags=["schedules"],
    responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
Analyst = Annotated[Account, Depends(require(Permission.RUN_SQL))]


class TargetIn(BaseModel):
    kind: TargetKind
    id: RowId


class AlertIn(BaseModel):
    condition: Condition
    column: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The metric column (the first numeric one if left out).",
    )
    value: float | None = Field(
        default=None, allow_inf_nan=False, description="The threshold of above, below, equal."
    )
    renotify_minutes: int | None = Field(
        default=None,
        ge=1,
        le=525_600,
        description="While still true, notify again after this long (never, if left out).",
    )

    def rule(self) -> AlertRule:
        return AlertRule(self.condition, self.column, self.value, self.renotify_minutes)


MIN_SECRET_CHARS = 16
_SECRET = Field(
    default=None,
    min_length=MIN_SECRET_CHARS,
    max_length=200,
    description="Signs each webhook request (X-Belvedere-Signature); write-only.",
)
_CONFIRM = Field(
    default=False,
    description="You confirm that recipients outside Belvedere see your rows of a per-user "
    "connection (recorded with who and when).",
)


class ScheduleIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    target: TargetIn
    cron: str = Field(min_length=1, max_length=200, examples=["0 8 * * 1"])
    timezone: str = Field(default="UTC", min_length=1, max_length=100, examples=["Europe/Paris"])
    channel: Channel = Channel.EMAIL
    recipients: list[Annotated[str, Field(max_length=320)]] = Field(
        default_factory=list, max_length=100, description="E-mail addresses."
    )
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = _SECRET
    run_as: RunAs = RunAs.OWNER
    active: bool = True
    alert: AlertIn | None = None
    recipients_see_owner_data: bool = _CONFIRM

    def draft(self) -> ScheduleDraft:
        return ScheduleDraft(
            name=self.name,
            target_kind=self.target.kind,
            target_id=self.target.id,
            cron=self.cron,
            timezone=self.timezone,
            channel=self.channel,
            recipients=tuple(self.recipients),
            webhook_url=self.webhook_url,
            run_as=self.run_as,
            active=self.active,
            alert=self.alert.rule() if self.alert else None,
            recipients_see_owner_data=self.recipients_see_owner_data,
        )


class SchedulePatch(Patch):
    nullable = frozenset({"webhook_url", "alert"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    target: TargetIn | None = None
    cron: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, min_length=1, max_length=100)
    channel: Channel | None = None
    recipients: list[Annotated[str, Field(max_length=320)]] | None = Field(
        default=None, max_length=100
    )
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(
        default=None,
        max_length=200,
        description="A new signing secret (16 characters or more); empty removes it. Write-only.",
    )
    run_as: RunAs | None = None
    active: bool | None = Field(default=None, description="False pauses; true resumes.")
    alert: AlertIn | None = None
    recipients_see_owner_data: bool | None = None

    @field_validator("webhook_secret")
    @classmethod
    def _long_enough(cls, secret: str | None) -> str | None:
        if secret and len(secret) < MIN_SECRET_CHARS:
            raise ValueError(
                f"a secret has at least {MIN_SECRET_CHARS} characters (empty removes it)"
            )
        return secret

    def changes(self) -> dict[str, Any]:
        """The fields given, as the service names them."""
        given = self.model_dump(exclude_unset=True)
        changes: dict[str, Any] = {k: getattr(self, k) for k in given}
        if "target" in changes:
            target = changes.pop("target")
            changes.update(target_kind=target.kind, target_id=target.id)
        if "recipients" in changes:
            changes["recipients"] = tuple(changes["recipients"])
        if "alert" in changes:
            changes["alert"] = changes["alert"].rule() if changes["alert"] else None
        if "webhook_secret" in changes:
            secret = changes["webhook_secret"]
            changes["webhook_secret"] = secret.encode() if secret else None
        return changes


class TargetOut(BaseModel):
    kind: TargetKind
    id: int


class AlertOut(BaseModel):
    condition: Condition
    column: str | None
    value: float | None
    renotify_minutes: int | None
    alerting: bool | None = Field(
        description="Whether its condition held at the last run; null when it runs as each "
        "recipient and you are not an admin (how another person's rows evaluate is theirs)."
    )


class ScheduleOut(BaseModel):
    id: int
    name: str
    owner: str = Field(description="Username of its owner.")
    mine: bool
    target: TargetOut
    cron: str
    timezone: str
    channel: Channel
    recipients: list[str]
    webhook_url: str | None = Field(
        description="Where the webhook posts, its scheme and host only: the whole URL, often a "
        "credential itself, is never shown."
    )
    webhook_signed: bool = Field(
        description="Whether webhook requests are signed (the secret itself is never shown)."
    )
    run_as: RunAs
    active: bool
    paused_reason: str | None = Field(description="Why Belvedere paused it, if it did.")
    alert: AlertOut | None
    recipients_see_owner_data: bool
    confirmed_by: str | None = Field(
        description="Who confirmed that recipients see the owner's rows."
    )
    confirmed_at: datetime | None
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_status: DeliveryStatus | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ScheduleView, user: Account) -> ScheduleOut:
        s = view.record
        alert = None
        if s.alert is not None:
            alert = AlertOut(
                condition=s.alert.condition,
                column=s.alert.column,
                value=s.alert.value,
                renotify_minutes=s.alert.renotify_minutes,
                alerting=view.alerting,
            )
        return cls(
            id=s.id,
            name=s.name,
            owner=view.owner,
            mine=s.owner_id == user.id,
            target=TargetOut(kind=s.target_kind, id=s.target_id),
            cron=s.cron,
            timezone=s.timezone,
            channel=s.channel,
            recipients=list(s.recipients),
            webhook_url=_shown_url(s.webhook_url),
            webhook_signed=view.webhook_signed,
            run_as=s.run_as,
            active=s.active,
            paused_reason=s.paused_reason,
            alert=alert,
            recipients_see_owner_data=s.recipients_see_owner_data,
            confirmed_by=view.confirmed_by,
            confirmed_at=view.confirmed_at,
            next_run_at=s.next_run_at,
            last_run_at=s.last_run_at,
            last_status=s.last_status,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class DeliveryOut(BaseModel):
    id: int
    due_at: datetime | None = Field(description="The tick it answers; null for send now.")
    started_at: datetime
    finished_at: datetime | None
    status: DeliveryStatus
    attempt: int
    recipient: str | None
    message: str | None = Field(description="What went wrong, in the server's words.")
    run_ids: list[str]

    @classmethod
    def of(cls, d: DeliveryRecord) -> DeliveryOut:
        return cls(
            id=d.id,
            due_at=d.due_at,
            started_at=d.started_at,
            finished_at=d.finished_at,
            status=d.status,
            attempt=d.attempt,
            recipient=d.recipient,
            message=d.message,
            run_ids=list(d.run_ids),
        )


@router.get("", response_model=list[ScheduleOut])
async def list_schedules(user: Analyst, services: ServicesDep) -> list[ScheduleOut]:
    """Your schedules (an admin's: everyone's), by name."""
    return [ScheduleOut.of(v, user) for v in await services.schedules.list_visible(user)]


@router.post("", response_model=ScheduleOut, status_code=201)
async def create(body: ScheduleIn, user: Analyst, services: ServicesDep) -> ScheduleOut:
    """Schedule a report or an alert on a saved query, a chart or a dashboard you can see."""
    secret = body.webhook_secret.encode() if body.webhook_secret else None
    view = await services.schedules.create(user, body.draft(), secret)
    return ScheduleOut.of(view, user)


@router.get("/{schedule_id}", response_model=ScheduleOut)
async def get_schedule(schedule_id: RowId, user: Analyst, services: ServicesDep) -> ScheduleOut:
    """One of your schedules."""
    return ScheduleOut.of(await services.schedules.get(user, schedule_id), user)


@router.patch("/{schedule_id}", response_model=ScheduleOut)
async def change(
    schedule_id: RowId, body: SchedulePatch, user: Analyst, services: ServicesDep
) -> ScheduleOut:
    """Change, pause (`active: false`) or resume one of your schedules."""
    view = await services.schedules.change(user, schedule_id, body.changes())
    return ScheduleOut.of(view, user)


@router.delete("/{schedule_id}", status_code=204)
async def delete(schedule_id: RowId, user: Analyst, services: ServicesDep) -> Response:
    """Delete one of your schedules with its history."""
    await services.schedules.delete(user, schedule_id)
    return Response(status_code=204)


@router.post("/{schedule_id}/send", status_code=202)
async def send(schedule_id: RowId, user: Analyst, services: ServicesDep) -> Response:
    """Send one of your schedules now (its history shows how it went)."""
    await services.schedules.send_now(user, schedule_id)
    return Response(status_code=202)


@router.get("/{schedule_id}/deliveries", response_model=list[DeliveryOut])
async def deliveries(
    schedule_id: RowId,
    user: Analyst,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_DELIVERIES)] = 50,
) -> list[DeliveryOut]:
    """A schedule's delivery attempts, newest first."""
    found = await services.schedules.deliveries(user, schedule_id, limit)
    return [DeliveryOut.of(d) for d in found]


def _shown_url(url: str | None) -> str | None:
    """A webhook URL as the API shows it: ``https://hooks.example.com/…``."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…"
