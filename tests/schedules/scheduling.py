"""Helpers of the ticker's and the runner's tests: services that send to a loopback SMTP
server, targets on the demo warehouse, schedules written straight to the store."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from belvedere.auth.roles import Role
from belvedere.charts.spec import ChartSpec
from belvedere.execution.runs import Actor
from belvedere.schedules.model import Channel, RunAs, ScheduleRecord, TargetKind
from belvedere.services import DEMO_CONNECTION, Services
from belvedere.settings import Settings
from belvedere.store.saved_queries import SavedQueries
from tests.support.web.client import PASSWORD

BOSS = "boss@example.com"
REGIONS_SQL = "SELECT region, count(*) AS customers FROM customers GROUP BY 1 ORDER BY 1"
BAR: dict[str, Any] = {
    "type": "bar",
    "source": {"kind": "table", "schema": "main", "table": "sales"},
    "dimensions": ["region"],
    "metrics": [{"agg": "sum", "column": "line_total", "label": "revenue"}],
}
#: Retries a test waits for: tiny, so that a test of backoff takes a moment.
RETRIES = "0.2,0.4"


def make_services(
    make_settings: Callable[..., Settings], demo_path: Path, smtp_port: int, **overrides: Any
) -> Services:
    """Services (on the test's one metadata store) that send e-mail to ``smtp_port``; call
    it twice for two servers sharing the store."""
    values: dict[str, Any] = {
        "smtp_url": f"smtp://127.0.0.1:{smtp_port}",
        "smtp_timeout_seconds": 5,
        "schedule_retry_seconds": RETRIES,
        "base_url": "http://belvedere.test",
        "webhook_allow_private": True,  # the tests' receivers listen on loopback
    }
    services = Services(make_settings(**{**values, **overrides}))
    services.first_start()
    if not services.connections.exists(DEMO_CONNECTION):
        services.connections.add(
            DEMO_CONNECTION, "duckdb", {"path": str(demo_path), "read_only": True}
        )
    return services


def user(services: Services, name: str, email: str | None = None) -> Actor:
    """A user (created if new) as the execution service sees them."""
    found = services.users.by_username(name)
    if found is None:
        found = services.users.create(name, Role.EDITOR, PASSWORD, email=email)
    return Actor.of(found)


def admin(services: Services) -> Actor:
    return user(services, services.settings.admin_username)


def saved_query(
    services: Services, owner: Actor, sql: str = REGIONS_SQL, connection: str = DEMO_CONNECTION
) -> int:
    assert owner.user_id is not None
    saved = SavedQueries(services.db).create(
        owner.user_id, connection=connection, name="Customers by region", sql=sql
    )
    return saved.id


async def chart(services: Services, owner: Actor) -> int:
    created = await services.charts.create(
        owner,
        name="Revenue by region",
        connection=DEMO_CONNECTION,
        spec=ChartSpec.model_validate(BAR),
        cache_ttl_seconds=None,
        show_sql_to_viewers=False,
    )
    return created.id


def add_schedule(
    services: Services, owner: Actor, kind: TargetKind, target_id: int, **overrides: Any
) -> ScheduleRecord:
    """A schedule written straight to the store (the API's rules are tested elsewhere)."""
    fields: dict[str, Any] = {
        "owner_id": owner.user_id,
        "name": "Monday regions",
        "target_kind": kind,
        "target_id": target_id,
        "cron": "0 8 * * 1",
        "timezone": "UTC",
        "channel": Channel.EMAIL,
        "recipients": (BOSS,),
        "webhook_url": None,
        "run_as": RunAs.OWNER,
        "active": True,
        "recipients_see_owner_data": False,
        "alert": None,
        "next_run_at": None,
        "last_run_at": None,
        "last_status": None,
        "paused_reason": None,
        "webhook_secret": None,
    }
    fields.update(overrides)
    return services.schedule_runner.schedules.add(**fields)


async def settled(services: Services, timeout: float = 30.0) -> None:
    """Wait until no delivery is under way in ``services``."""
    deadline = time.monotonic() + timeout
    while services.schedule_runner.pending:
        assert time.monotonic() < deadline, "deliveries still under way"
        await asyncio.sleep(0.02)


def attachment(message: EmailMessage, suffix: str) -> EmailMessage:
    [found] = [p for p in message.iter_attachments() if (p.get_filename() or "").endswith(suffix)]
    return found


def csv_rows(part: EmailMessage) -> list[list[str]]:
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return list(csv.reader(io.StringIO(payload.decode())))


def html_of(message: EmailMessage) -> str:
    [html] = [p for p in message.walk() if p.get_content_type() == "text/html"]
    return str(html.get_content())
