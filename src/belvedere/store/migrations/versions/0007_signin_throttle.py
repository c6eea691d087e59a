"""Sign-in throttling: failures per account and per client address, and known addresses.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_throttle",
        sa.Column("key", sa.String(length=400), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_signin_throttle_updated_at", "signin_throttle", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_signin_throttle_updated_at", table_name="signin_throttle")
    op.drop_table("signin_throttle")
