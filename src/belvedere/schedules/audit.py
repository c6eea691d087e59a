"""What of a schedule's life the audit log records: created, changed, paused, resumed, deleted,
and the owner's confirmation that recipients outside Belvedere see the owner's rows, given
or withdrawn. :func:`events` compares a schedule before and after a change (in the
transaction that makes it); a webhook's URL (a credential) is told by its host only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from belvedere.audit.events import AuditAction, EventDraft, ObjectKind
from belvedere.schedules.model import AlertRule, ScheduleRecord

#: Fields whose change is told with the values before and after.
_VALUES = ("name", "cron", "timezone", "channel", "run_as")


def _host(url: str | None) -> str | None:
    return None if url is None else f"{urlsplit(url).hostname}"


def target_words(record: ScheduleRecord) -> str:
    """E.g. "saved query 12"."""
    return f"{record.target_kind.value.replace('_', ' ')} {record.target_id}"


def alert_words(rule: AlertRule | None) -> str | None:
    """E.g. "revenue above 1000, again every 60 min"; ``None`` for a report."""
    if rule is None:
        return None
    value = None if rule.value is None else f"{rule.value:g}"
    words = " ".join(
        part for part in (rule.column, rule.condition.value.replace("_", " "), value) if part
    )
    if rule.renotify_minutes:
        words += f", again every {rule.renotify_minutes} min"
    return words


def _audience(record: ScheduleRecord) -> dict[str, Any]:
    if record.webhook_url is not None:
        return {"webhook": _host(record.webhook_url)}
    return {"recipients": list(record.recipients)}


def _changed(before: ScheduleRecord, after: ScheduleRecord, secret_changed: bool) -> dict[str, Any]:
    """What changed: ``field: [before, after]``, added and removed recipients, or ``None``
    where the values are not told (the webhook's URL and secret)."""
    changed: dict[str, Any] = {
        name: [str(getattr(before, name)), str(getattr(after, name))]
        for name in _VALUES
        if getattr(before, name) != getattr(after, name)
    }
    if (before.target_kind, before.target_id) != (after.target_kind, after.target_id):
        changed["target"] = [target_words(before), target_words(after)]
    if before.alert != after.alert:
        changed["alert"] = [alert_words(before.alert), alert_words(after.alert)]
    old, new = set(before.recipients), set(after.recipients)
    if old != new:
        changed["recipients"] = {
            "added": [r for r in after.recipients if r not in old],
            "removed": [r for r in before.recipients if r not in new],
        }
    if before.webhook_url != after.webhook_url:
        changed["webhook_url"] = None
    if secret_changed:
        changed["webhook_secret"] = None
    return changed


def events(
    actor_id: int | None,
    before: ScheduleRecord | None,
    after: ScheduleRecord | None,
    *,
    secret_changed: bool = False,
    reason: str | None = None,
) -> list[EventDraft]:
    """The events of a change by ``actor_id`` (``None``: Belvedere itself): ``before`` is
    ``None`` for a new schedule, ``after`` for a deleted one; ``reason``: why Belvedere
    paused it."""
    record = after or before
    if record is None:
        return []

    def event(action: AuditAction, **details: Any) -> EventDraft:
        named = {"name": record.name, **{k: v for k, v in details.items() if v is not None}}
        return EventDraft(action, ObjectKind.SCHEDULE, str(record.id), actor_id, named)

    if after is None:
        return [event(AuditAction.SCHEDULE_DELETED)]
    found: list[EventDraft] = []
    if before is None:
        found.append(
            event(
                AuditAction.SCHEDULE_CREATED,
                target=target_words(after),
                run_as=after.run_as.value,
                active=after.active,
                alert=alert_words(after.alert),
                **_audience(after),
            )
        )
    else:
        changed = _changed(before, after, secret_changed)
        if changed:
            found.append(event(AuditAction.SCHEDULE_CHANGED, changed=changed))
        if before.active and not after.active:
            found.append(event(AuditAction.SCHEDULE_PAUSED, reason=reason))
        elif after.active and not before.active:
            found.append(event(AuditAction.SCHEDULE_RESUMED))
    confirmed = before is not None and before.recipients_see_owner_data
    if after.recipients_see_owner_data and not confirmed:
        found.append(event(AuditAction.CONFIRMATION_GIVEN, **_audience(after)))
    elif confirmed and not after.recipients_see_owner_data:
        found.append(event(AuditAction.CONFIRMATION_WITHDRAWN))
    return found
