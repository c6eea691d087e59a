"""Runs record what they cost in the warehouse, and direct table reads.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("query_runs") as batch:
        batch.alter_column("result_bytes", type_=sa.BigInteger(), existing_nullable=True)
        batch.add_column(sa.Column("table_ref", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("bytes_estimated", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("bytes_processed", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("bytes_billed", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("job_id", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("query_runs") as batch:
        for column in ("job_id", "bytes_billed", "bytes_processed", "bytes_estimated", "table_ref"):
            batch.drop_column(column)
        batch.alter_column("result_bytes", type_=sa.Integer(), existing_nullable=True)
