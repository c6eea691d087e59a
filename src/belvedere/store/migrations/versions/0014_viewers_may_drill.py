"""Charts say whether the people who see them on a shared dashboard may drill to the rows
behind their marks even where nothing else lets them (off until the owner turns it on).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charts") as batch:
        batch.add_column(
            sa.Column("viewers_may_drill", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("charts") as batch:
        batch.drop_column("viewers_may_drill")
