"""Runs record the worker that runs them, so that a run of a worker that died can be ended.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("query_runs") as batch:
        batch.add_column(sa.Column("worker", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("query_runs") as batch:
        batch.drop_column("worker")
