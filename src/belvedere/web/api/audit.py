"""The audit log (admins): every run with who, as whom, where from, at what cost; and the
changes worth auditing (events: a schedule created, changed, paused, deleted, the owner's
confirmation that recipients see their rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from belvedere.audit.events import AuditAction, EventFilter, EventRecord, ObjectKind, summary
from belvedere.audit.records import AuditFilter, duration_ms, who
from belvedere.auth.account import Account
from belvedere.auth.roles import Permission
from belvedere.services import Services
from belvedere.store.runs import RunRecord
from belvedere.web.api.schemas import ErrorOut, Instant
from belvedere.web.deps import ServicesDep, require

router = APIRouter(prefix="/audit", tags=["audit"], responses={403: {"model": ErrorOut}})
Auditor = Annotated[Account, Depends(require(Permission.VIEW_AUDIT))]
MAX_EXPORT_ROWS = 1_000_000


class AuditEntryOut(BaseModel):
    run_id: str
    submitted_at: datetime
    finished_at: datetime | None
    user: str = Field(description="Who ran it (Belvedere user, or `cli:<os account>`).")
    os_account: str | None = Field(
        default=None,
        description="The operating-system account behind a command-line run (`belvedere "
        "query`, also with `--as USER`); null for runs from the web.",
    )
    principal: str | None = Field(description="Who the warehouse saw run it.")
    connection: str
    surface: str
    status: str
    sql: str
    error_code: str | None
    error_message: str | None
    duration_ms: float | None
    row_count: int | None
    bytes_estimated: int | None
    bytes_processed: int | None
    bytes_billed: int | None
    job_id: str | None

    @classmethod
    def of(cls, run: RunRecord) -> AuditEntryOut:
        user, os_account = who(run)
        return cls(
            run_id=run.id,
            submitted_at=run.submitted_at,
            finished_at=run.finished_at,
            user=user,
            os_account=os_account,
            principal=run.principal,
            connection=run.connection_name,
            surface=run.surface,
            status=run.status,
            sql=run.sql,
            error_code=run.error_code,
            error_message=run.error_message,
            duration_ms=duration_ms(run),
            row_count=run.row_count,
            bytes_estimated=run.bytes_estimated,
            bytes_processed=run.bytes_processed,
            bytes_billed=run.bytes_billed,
            job_id=run.job_id,
        )


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next_before: datetime | None = Field(description="Pass as `before` for the next page.")
    retention_days: int


async def audit_filter(
    user: str | None = None,
    connection: str | None = None,
    status: str | None = None,
    surface: str | None = None,
    principal: str | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    text: Annotated[str | None, Query(max_length=500, description="Part of the SQL.")] = None,
    probes: Annotated[
        bool,
        Query(
            description="Also list the chart builder's column probes (the `LIMIT 0` runs it "
            "makes to learn a source's columns; surface `probe`, which selects only them)."
        ),
    ] = False,
) -> AuditFilter:
    """The filters of the query string."""
    return AuditFilter(user, connection, status, surface, principal, since, until, text, probes)


Filters = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("", response_model=AuditOut)
async def audit(
    _: Auditor,
    services: ServicesDep,
    where: Filters,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Instant | None = None,
) -> AuditOut:
    """Runs of every user, newest first, filtered."""
    runs = await services.pools.io.run(services.audit.find, where, limit=limit, before=before)
    return AuditOut(
        entries=[AuditEntryOut.of(r) for r in runs],
        next_before=runs[-1].submitted_at if len(runs) == limit else None,
        retention_days=services.settings.audit_retention_days,
    )


@router.get("/export", responses={200: {"content": {"text/csv": {}}}})
async def export(_: Auditor, services: ServicesDep, where: Filters) -> StreamingResponse:
    """The filtered runs as CSV."""
    return StreamingResponse(
        services.pools.io.iterate(services.audit.csv_chunks(where, MAX_EXPORT_ROWS)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="belvedere-audit.csv"'},
    )


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str | None = Field(
        description="Username of who did it; null when Belvedere did (e.g. it paused a schedule "
        "whose owner's grant was revoked)."
    )
    action: AuditAction
    object_kind: ObjectKind
    object_id: str
    object_url: str | None = Field(
        description="Where the object is seen in Belvedere; null once it is gone."
    )
    details: dict[str, Any] = Field(
        description="What the action was about, by action: the schedule's `name`; `changed` "
        "(field: [before, after], recipients added and removed; a webhook's URL and secret "
        "are named, never shown); `reason` Belvedere paused it; the `recipients` (or "
        "`webhook` host) a confirmation covers."
    )
    summary: str = Field(description="The event in words.")

    @classmethod
    def of(cls, event: EventRecord, url: str | None) -> AuditEventOut:
        return cls(
            id=event.id,
            at=event.at,
            actor=event.actor,
            action=AuditAction(event.action),
            object_kind=ObjectKind(event.object_kind),
            object_id=event.object_id,
            object_url=url,
            details=dict(event.details),
            summary=summary(event),
        )


class AuditEventsOut(BaseModel):
    events: list[AuditEventOut]
    next_before: datetime | None = Field(description="Pass as `before` for the next page.")
    retention_days: int


async def event_filter(
    actor: Annotated[str | None, Query(description="Username of who did it.")] = None,
    action: AuditAction | None = None,
    object_kind: ObjectKind | None = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Instant | None = None,
    until: Instant | None = None,
) -> EventFilter:
    """The filters of the query string."""
    return EventFilter(actor, action, object_kind, object_id, since, until)


def _urls(services: Services, events: list[EventRecord]) -> dict[tuple[str, str], str]:
    """Links to the objects of ``events`` that still exist (blocking)."""
    schedules = {
        int(e.object_id)
        for e in events
        if e.object_kind == ObjectKind.SCHEDULE and e.object_id.isdigit()
    }
    found = services.schedules.repository.existing(schedules) if schedules else set()
    return {(ObjectKind.SCHEDULE, str(i)): f"/schedules#schedule-{i}" for i in found}


@router.get("/events", response_model=AuditEventsOut)
async def audit_events(
    _: Auditor,
    services: ServicesDep,
    where: Annotated[EventFilter, Depends(event_filter)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Instant | None = None,
) -> AuditEventsOut:
    """Changes worth auditing, newest first, filtered: who did what to which object."""

    def read() -> tuple[list[EventRecord], dict[tuple[str, str], str]]:
        events = services.audit.find_events(where, limit=limit, before=before)
        return events, _urls(services, events)

    events, urls = await services.pools.io.run(read)
    return AuditEventsOut(
        events=[AuditEventOut.of(e, urls.get((e.object_kind, e.object_id))) for e in events],
        next_before=events[-1].at if len(events) == limit else None,
        retention_days=services.settings.audit_retention_days,
    )
