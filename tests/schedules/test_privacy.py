"""Run as each recipient, how a delivery went depends on that recipient's rows: its owner sees
that it ran, not how (else a query that fails or alerts on a condition would read the
recipient's data one bit a tick). The recipient and admins see it all."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from belvedere.schedules.model import RunAs, TargetKind
from belvedere.schedules.privacy import PRIVATE_MESSAGE
from belvedere.services import Services
from belvedere.settings import Settings
from tests.schedules.scheduling import add_schedule, saved_query, user
from tests.support.delivery import Received
from tests.support.fixtures.app import demo_services
from tests.support.web.client import Client, MakeClient


@pytest.fixture
def services(
    make_settings: Callable[..., Settings], demo_path: Path, mail: tuple[int, list[Received]]
) -> Iterator[Services]:
    settings = make_settings(smtp_url=f"smtp://127.0.0.1:{mail[0]}", base_url="http://b.test")
    yield from demo_services(settings, demo_path)


def finished(client: Client, schedule_id: int, count: int) -> list[dict[str, Any]]:
    """The schedule's deliveries once ``count`` of them have ended."""
    deadline = time.monotonic() + 30
    while True:
        rows: list[dict[str, Any]] = client.get(
            f"/api/v1/schedules/{schedule_id}/deliveries"
        ).json()
        if len(rows) == count and all(r["finished_at"] for r in rows):
            return rows
        assert time.monotonic() < deadline, rows
        time.sleep(0.05)


def test_the_owner_sees_that_it_ran_as_each_recipient_not_how(
    services: Services, app_client: MakeClient
) -> None:
    owner = user(services, "olga", "olga@example.com")
    user(services, "ann", "ann@example.com")
    schedule = add_schedule(
        services,
        owner,
        TargetKind.SAVED_QUERY,
        saved_query(services, owner),
        run_as=RunAs.RECIPIENT,
        recipients=("ann@example.com", "olga@example.com", "nobody@example.org"),
    )
    olga, ann, admin = app_client().login("olga"), app_client().login("ann"), app_client().login()
    assert olga.post(f"/api/v1/schedules/{schedule.id}/send").status_code == 202

    as_admin = {r["recipient"]: r for r in finished(admin, schedule.id, 3)}
    assert as_admin["ann@example.com"]["status"] == "sent"
    assert as_admin["ann@example.com"]["run_ids"]
    as_owner = {r["recipient"]: r for r in finished(olga, schedule.id, 3)}
    assert (as_owner["ann@example.com"]["status"], as_owner["ann@example.com"]["message"]) == (
        "private",
        PRIVATE_MESSAGE,
    )
    assert as_owner["ann@example.com"]["run_ids"] == []
    assert as_owner["olga@example.com"]["status"] == "sent"  # her own rows
    assert as_owner["nobody@example.org"]["status"] == "skipped"  # no run, nobody's rows
    assert olga.get(f"/api/v1/schedules/{schedule.id}").json()["last_status"] is None
    assert admin.get(f"/api/v1/schedules/{schedule.id}").json()["last_status"] == "sent"
    # Ann is no owner: the schedule is not hers to read at all.
    assert ann.get(f"/api/v1/schedules/{schedule.id}/deliveries").status_code == 404


def test_run_as_its_owner_the_owner_sees_every_outcome(
    services: Services, app_client: MakeClient
) -> None:
    owner = user(services, "olga", "olga@example.com")
    schedule = add_schedule(
        services,
        owner,
        TargetKind.SAVED_QUERY,
        saved_query(services, owner),
        recipients=("ann@example.com",),
    )
    olga = app_client().login("olga")
    assert olga.post(f"/api/v1/schedules/{schedule.id}/send").status_code == 202
    [row] = finished(olga, schedule.id, 1)
    assert (row["recipient"], row["status"]) == ("ann@example.com", "sent")
