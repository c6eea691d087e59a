"""What a schedule may hold, checked without I/O: addresses, channel, webhook URL, alert."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from belvedere.charts.sql import saved_query_source
from belvedere.schedules.cron import ScheduleInvalid, validate_cron, validate_timezone
from belvedere.schedules.delivery.addresses import never_posted_to
from belvedere.schedules.model import (
    THRESHOLD_CONDITIONS,
    AlertRule,
    Channel,
    RunAs,
    TargetKind,
)

MAX_RECIPIENTS = 100
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: An address as mail servers take it: dotted atoms, ``@``, a domain of two labels or more.
EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


@dataclass(frozen=True)
class ScheduleDraft:
    """A schedule as its owner asks for it (created, or changed: the stored one and the
    changes merged), before it is checked and stored."""

    name: str
    target_kind: TargetKind
    target_id: int
    cron: str
    timezone: str
    channel: Channel
    recipients: tuple[str, ...]
    webhook_url: str | None
    run_as: RunAs
    active: bool
    alert: AlertRule | None
    recipients_see_owner_data: bool


def check_address(address: str) -> str:
    """An e-mail address, trimmed (``ScheduleInvalid`` on ``recipients`` otherwise)."""
    text = address.strip()
    local = text.rpartition("@")[0]
    if len(text) > 320 or len(local) > 64 or not EMAIL.fullmatch(text):
        raise ScheduleInvalid("recipients", f"{address!r} is not an e-mail address.")
    return text


def check_recipients(addresses: tuple[str, ...]) -> tuple[str, ...]:
    """The addresses trimmed, each once whatever its case, in the order given."""
    seen: dict[str, str] = {}
    for address in addresses:
        checked = check_address(address)
        seen.setdefault(checked.lower(), checked)
    if len(seen) > MAX_RECIPIENTS:
        raise ScheduleInvalid("recipients", f"At most {MAX_RECIPIENTS} recipients.")
    return tuple(seen.values())


def check_webhook_url(url: str | None) -> str:
    """An absolute http(s) URL (``ScheduleInvalid`` on ``webhook_url`` otherwise)."""
    if not url:
        raise ScheduleInvalid("webhook_url", "A webhook schedule needs its URL (http or https).")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ScheduleInvalid("webhook_url", f"{url!r} is not an http or https URL.")
    if never_posted_to(parts.hostname):
        raise ScheduleInvalid(
            "webhook_url", f"{parts.hostname} is a link-local address: webhooks never go there."
        )
    return url.strip()


def check_alert(alert: AlertRule | None, target: TargetKind) -> None:
    """An alert watches a saved query or a chart; a threshold needs its value."""
    if alert is None:
        return
    if target is TargetKind.DASHBOARD:
        raise ScheduleInvalid(
            "alert",
            "Alerts watch a saved query or a chart, not a dashboard: pick one of its charts.",
        )
    if alert.condition in THRESHOLD_CONDITIONS and alert.value is None:
        raise ScheduleInvalid(
            "alert.value", f"An alert on {alert.condition.value} needs the value to compare with."
        )


def checked(draft: ScheduleDraft) -> ScheduleDraft:
    """The draft with its addresses and URL tidied, if everything it holds may be stored
    (``ScheduleInvalid`` naming the first field that may not); access is checked elsewhere."""
    if not draft.name.strip():
        raise ScheduleInvalid("name", "A schedule needs a name.")
    validate_cron(draft.cron)
    validate_timezone(draft.timezone)
    recipients = check_recipients(draft.recipients)
    url = None
    if draft.channel is Channel.EMAIL:
        if not recipients:
            raise ScheduleInvalid("recipients", "An e-mail schedule needs at least one recipient.")
        if draft.webhook_url:
            raise ScheduleInvalid("webhook_url", "Only a webhook schedule has a URL.")
    else:
        if recipients:
            raise ScheduleInvalid(
                "recipients", "A webhook schedule posts to its URL: it has no recipients."
            )
        url = check_webhook_url(draft.webhook_url)
        if draft.run_as is RunAs.RECIPIENT:
            raise ScheduleInvalid(
                "run_as", "A webhook has no recipients to run as: run it as its owner."
            )
    check_alert(draft.alert, draft.target_kind)
    return replace(draft, name=draft.name.strip(), recipients=recipients, webhook_url=url)


def refusal_as_recipient(dialect: str, sql: str) -> str | None:
    """Why a saved query may not run as each recipient, or ``None``: it would act with their
    rights on SQL they never read, so it may only read, as a chart's source may."""
    try:
        saved_query_source(dialect, sql)
    except ValueError as exc:
        return f"{exc} Run as each recipient, with their rights, it may only read data."
    return None
