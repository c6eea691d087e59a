"""Runs written straight to the metadata store, for the tests of accounting and alerts: what
a run billed, when, by whom, from where (the emulator is not needed to sum them)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from belvedere.services import Services
from belvedere.store.models import QueryRun
from tests.support.web.client import PASSWORD


def ran(
    services: Services,
    user: str,
    billed: int,
    at: datetime,
    *,
    connection: str = "bq",
    surface: str = "api",
    chart_id: int | None = None,
    dashboard_id: int | None = None,
    status: str = "succeeded",
    sql: str = "SELECT 1",
) -> str:
    """Record a run of ``user`` (created as a viewer if new) that billed ``billed`` bytes."""
    found = services.users.by_username(user)
    if found is None:
        found = services.users.create(user, "viewer", PASSWORD)  # type: ignore[arg-type]
    run_id = secrets.token_hex(16)
    services.runs.add(
        QueryRun(
            id=run_id,
            user_id=found.id,
            actor=user,
            connection_name=connection,
            surface=surface,
            sql=sql,
            status=status,
            max_rows=1000,
            bytes_processed=billed,
            bytes_billed=billed,
            chart_id=chart_id,
            dashboard_id=dashboard_id,
            submitted_at=at,
            deadline_at=at + timedelta(minutes=5),
        )
    )
    return run_id
