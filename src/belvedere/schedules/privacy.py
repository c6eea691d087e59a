"""What a schedule's owner learns of the runs it made as someone else: that they happened,
not how they went.

Run as each recipient, a report's outcome (sent or failed, an alert's notice or silence, a
warehouse's error) depends on that recipient's rows. Shown to the owner, who wrote the query,
it would be an oracle on data the owner may not read (a query that fails, or alerts, only when
a salary is above a figure). So the owner sees such a delivery as ``private``; the recipient,
for their own rows, and admins, who read every run in the audit log, see it all.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from belvedere.auth.roles import Role
from belvedere.schedules.model import DeliveryRecord, DeliveryStatus, RunAs, ScheduleRecord

if TYPE_CHECKING:
    from belvedere.auth.account import Account
    from belvedere.schedules.service import ScheduleView

PRIVATE_MESSAGE = "Run as this recipient: only they and admins see how it went."


def shows_outcomes(reader: Account, schedule: ScheduleRecord) -> bool:
    """Whether ``reader`` may see how each delivery of ``schedule`` went."""
    return schedule.run_as is not RunAs.RECIPIENT or reader.role == Role.ADMIN.value


def shown_deliveries(
    reader: Account, schedule: ScheduleRecord, deliveries: list[DeliveryRecord]
) -> list[DeliveryRecord]:
    """``deliveries`` as ``reader`` may see them."""
    if shows_outcomes(reader, schedule):
        return deliveries
    own = (reader.email or "").lower()
    return [d if _shown(d, own) else _private(d) for d in deliveries]


def shown_view(reader: Account, view: ScheduleView) -> ScheduleView:
    """A schedule as ``reader`` may see it: without its last outcome and whether its alert
    holds, when those come from runs as others."""
    if shows_outcomes(reader, view.record):
        return view
    return replace(view, record=replace(view.record, last_status=None), alerting=None)


def _shown(delivery: DeliveryRecord, own_address: str) -> bool:
    if own_address and (delivery.recipient or "").lower() == own_address:
        return True
    # An address of no Belvedere user: skipped before anything ran, as nobody.
    return delivery.status is DeliveryStatus.SKIPPED and not delivery.run_ids


def _private(delivery: DeliveryRecord) -> DeliveryRecord:
    return replace(delivery, status=DeliveryStatus.PRIVATE, message=PRIVATE_MESSAGE, run_ids=())
