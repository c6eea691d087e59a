"""Charts say whether viewers of a shared dashboard are sent their SQL (off until the owner
turns it on).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charts") as batch:
        batch.add_column(
            sa.Column(
                "show_sql_to_viewers", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("charts") as batch:
        batch.drop_column("show_sql_to_viewers")
