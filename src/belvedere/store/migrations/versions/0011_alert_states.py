"""Alert states per recipient: a schedule run as each recipient keeps one per recipient (their
rows differ), one run as its owner keeps one for everyone (recipient ``""``). The states kept
on the schedule so far move here.

Revision ID: 0011
Revises: 0010
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    states = op.create_table(
        "schedule_alert_states",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("is_true", sa.Boolean(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["schedule_id"], ["schedules.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("schedule_id", "recipient"),
    )
    schedules = sa.table(
        "schedules",
        sa.column("id", sa.Integer()),
        sa.column("alert", sa.JSON()),
        sa.column("alert_state", sa.JSON()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    kept = op.get_bind().execute(
        sa.select(schedules.c.id, schedules.c.alert_state, schedules.c.updated_at).where(
            schedules.c.alert.is_not(None)
        )
    )
    rows = [
        {
            "schedule_id": schedule_id,
            "recipient": "",
            "is_true": bool(state.get("true", False)),
            "last_value": state.get("last_value"),
            "notified_at": _instant(state.get("notified_at")),
            "updated_at": updated_at,
        }
        for schedule_id, state, updated_at in kept
        if state
    ]
    if rows:
        op.bulk_insert(states, rows)


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def downgrade() -> None:
    op.drop_table("schedule_alert_states")
