"""Cost governance: per-connection rules (a byte cap per query and budgets of bytes billed per
day and month, for a role, a group or a user), one-off raises an admin grants, the budget
notices sent at 80% and 100%, each user's time zone (budgets reset at their midnight), and the
chart and dashboard a run was for (spend is rolled up by them).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cost_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_name", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("max_bytes_per_query", sa.BigInteger(), nullable=True),
        sa.Column("daily_bytes", sa.BigInteger(), nullable=True),
        sa.Column("monthly_bytes", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connection_name", "scope", "subject"),
    )
    op.create_table(
        "cost_raises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("connection_name", sa.String(length=100), nullable=False),
        sa.Column("max_bytes", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_run", sa.String(length=32), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cost_raises_user", "cost_raises", ["user_id", "connection_name"])
    op.create_table(
        "budget_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_name", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.String(length=10), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "connection_name", "scope", "subject", "period", "period_start", "level"
        ),
    )
    op.create_index("ix_budget_notices_at", "budget_notices", ["at"])
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("timezone", sa.String(length=100), nullable=True))
    with op.batch_alter_table("query_runs") as runs:
        runs.add_column(sa.Column("chart_id", sa.Integer(), nullable=True))
        runs.add_column(sa.Column("dashboard_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("query_runs") as runs:
        runs.drop_column("dashboard_id")
        runs.drop_column("chart_id")
    with op.batch_alter_table("users") as users:
        users.drop_column("timezone")
    op.drop_index("ix_budget_notices_at", table_name="budget_notices")
    op.drop_table("budget_notices")
    op.drop_index("ix_cost_raises_user", table_name="cost_raises")
    op.drop_table("cost_raises")
    op.drop_table("cost_rules")
