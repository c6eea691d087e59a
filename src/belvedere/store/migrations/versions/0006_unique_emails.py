"""E-mail addresses are unique across accounts, without regard to case: an e-mail names one
person on warehouses that query as each user.

Existing duplicates are resolved, not refused: of the accounts sharing an address, the one
signed in through OpenID Connect (whose provider verified it) keeps it, else the oldest; the
others' e-mail is cleared, recorded in the ``meta`` row ``cleared_duplicate_emails`` (JSON) and
named in the log. Those accounts are then refused on per-user connections until an admin gives
them their own address. A downgrade puts the cleared addresses back.

Revision ID: 0006
Revises: 0005
"""

import json
import logging
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEX = "uq_users_email"
CLEARED = "cleared_duplicate_emails"
log = logging.getLogger("alembic.runtime.migration")

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("email", sa.String),
    sa.column("oidc_subject", sa.String),
)
meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))


def _duplicates(rows: list[Any]) -> list[dict[str, Any]]:
    """Accounts that must give up their e-mail: all but one per address."""
    by_address: dict[str, list[Any]] = {}
    for row in rows:
        by_address.setdefault(row.email.strip().lower(), []).append(row)
    cleared = []
    for sharing in by_address.values():
        keeper = min(sharing, key=lambda r: (r.oidc_subject is None, r.id))
        cleared += [
            {"user_id": r.id, "username": r.username, "email": r.email, "kept_by": keeper.id}
            for r in sharing
            if r is not keeper
        ]
    return cleared


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(users.update().values(email=sa.func.trim(users.c.email)))
    bind.execute(users.update().where(users.c.email == "").values(email=None))
    rows = list(bind.execute(sa.select(users).where(users.c.email.is_not(None)).order_by("id")))
    cleared = _duplicates(rows)
    for entry in cleared:
        bind.execute(users.update().where(users.c.id == entry["user_id"]).values(email=None))
        log.warning(
            "e-mail %s was shared: cleared from account %s (kept by account id %s)",
            entry["email"],
            entry["username"],
            entry["kept_by"],
        )
    if cleared:
        bind.execute(meta.delete().where(meta.c.key == CLEARED))
        bind.execute(meta.insert().values(key=CLEARED, value=json.dumps(cleared)))
    op.create_index(INDEX, "users", [sa.text("lower(email)")], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="users")
    bind = op.get_bind()
    found = bind.execute(sa.select(meta.c.value).where(meta.c.key == CLEARED)).scalar()
    for entry in json.loads(found) if found else []:
        bind.execute(
            users.update().where(users.c.id == entry["user_id"]).values(email=entry["email"])
        )
    bind.execute(meta.delete().where(meta.c.key == CLEARED))
