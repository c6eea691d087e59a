"""Per-user identity: single sign-on users, warehouse grants, pending flows, saved queries,
and the principal of each run.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("oidc_issuer", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("oidc_subject", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("groups", sa.JSON(), nullable=False, server_default="[]"))
        batch.create_unique_constraint("uq_users_oidc", ["oidc_issuer", "oidc_subject"])
    with op.batch_alter_table("query_runs") as batch:
        batch.add_column(sa.Column("principal", sa.String(length=300), nullable=True))
        batch.create_index("ix_query_runs_submitted", ["submitted_at"])
    op.create_table(
        "user_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("connection_name", sa.String(length=100), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "connection_name"),
    )
    op.create_table(
        "pending_flows",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("connection_name", sa.String(length=100), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("state_hash"),
    )
    op.create_table(
        "saved_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("connection_name", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_saved_queries_owner_id", "saved_queries", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_saved_queries_owner_id", table_name="saved_queries")
    op.drop_table("saved_queries")
    op.drop_table("pending_flows")
    op.drop_table("user_tokens")
    with op.batch_alter_table("query_runs") as batch:
        batch.drop_index("ix_query_runs_submitted")
        batch.drop_column("principal")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_oidc", type_="unique")
        for column in ("groups", "oidc_subject", "oidc_issuer", "email"):
            batch.drop_column(column)
