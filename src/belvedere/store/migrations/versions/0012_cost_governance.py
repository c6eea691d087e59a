"""Cost governance: per-connection rules (a byte cap per query and budgets of bytes billed per
day and month, for a role, a group or a user), one-off raises an admin grants, the budget
notices sent at 80% and 100%, each user's time zone (budgets reset at their midnight), the
chart and dashboard a run was for (spend is rolled up by them), and who pays for a run when
not its user. A stored connection named ``belvedere``, the built-in connection's name from now
on, is renamed (``belvedere-1`` or the next free name) with every reference to it, and the
rename recorded in ``meta``.

Revision ID: 0012
Revises: 0011
"""

import json

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
    # Plain ADD COLUMN (SQLite has it): a batch copy of users would lose its index on lower(email).
    op.add_column("users", sa.Column("timezone", sa.String(length=100), nullable=True))
    op.add_column("query_runs", sa.Column("chart_id", sa.Integer(), nullable=True))
    op.add_column("query_runs", sa.Column("dashboard_id", sa.Integer(), nullable=True))
    # Who pays for a run when not its user (a schedule's owner, run as each recipient).
    op.add_column("query_runs", sa.Column("charged_to", sa.Integer(), nullable=True))
    op.create_index("ix_query_runs_charged_submitted", "query_runs", ["charged_to", "submitted_at"])
    _free_built_in_name()


BUILT_IN = "belvedere"
RENAMED = "renamed_connection"
#: Tables that name a connection, and the column that does.
REFERENCES = [
    ("connections", "name"),
    ("charts", "connection_name"),
    ("saved_queries", "connection_name"),
    ("user_tokens", "connection_name"),
    ("pending_flows", "connection_name"),
    ("query_runs", "connection_name"),
]


def _free_built_in_name() -> None:
    """Rename a stored connection that has the built-in connection's name, everywhere."""
    bind = op.get_bind()
    names = {row[0] for row in bind.execute(sa.text("SELECT name FROM connections")).all()}
    if BUILT_IN not in names:
        return
    new = next(
        f"{BUILT_IN}-{n}" for n in range(1, len(names) + 2) if f"{BUILT_IN}-{n}" not in names
    )
    for table, column in REFERENCES:
        bind.execute(
            sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
            {"new": new, "old": BUILT_IN},
        )
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    bind.execute(meta.delete().where(meta.c.key == RENAMED))
    bind.execute(meta.insert().values(key=RENAMED, value=json.dumps({"from": BUILT_IN, "to": new})))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite has it since 3.35): a batch copy would lose users' index.
    op.drop_index("ix_query_runs_charged_submitted", table_name="query_runs")
    op.drop_column("query_runs", "charged_to")
    op.drop_column("query_runs", "dashboard_id")
    op.drop_column("query_runs", "chart_id")
    op.drop_column("users", "timezone")
    op.drop_index("ix_budget_notices_at", table_name="budget_notices")
    op.drop_table("budget_notices")
    op.drop_index("ix_cost_raises_user", table_name="cost_raises")
    op.drop_table("cost_raises")
    op.drop_table("cost_rules")
