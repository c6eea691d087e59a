"""A connection stored under the name the built-in connection now has (``belvedere``) is
renamed by the migration, with everything that names it, so that nothing it held is lost or
shadowed by the built-in one."""

from __future__ import annotations

import json

from sqlalchemy import text

from belvedere.store.db import Database
from belvedere.store.migrate import upgrade


def test_a_stored_connection_named_belvedere_is_renamed_with_its_references(
    metadata_url: str,
) -> None:
    db = Database(metadata_url)
    with db.engine.begin() as connection:
        upgrade(connection, "0011")
        connection.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, is_active, created_at,"
                " groups) VALUES (1, 'ann', 'Ann', 'editor', true, CURRENT_TIMESTAMP, '[]')"
            )
        )
        for name in ("belvedere", "belvedere-1"):
            connection.execute(
                text(
                    "INSERT INTO connections (name, kind, options, created_at, updated_at)"
                    " VALUES (:name, 'duckdb', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"name": name},
            )
        connection.execute(
            text(
                "INSERT INTO saved_queries (owner_id, connection_name, name, description, sql,"
                " shared, created_at, updated_at) VALUES (1, 'belvedere', 'sales', '',"
                " 'SELECT 1', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    db.migrate()
    with db.engine.connect() as connection:
        names = sorted(connection.execute(text("SELECT name FROM connections")).scalars())
        saved = connection.execute(text("SELECT connection_name FROM saved_queries")).scalar()
        record = connection.execute(
            text("SELECT value FROM meta WHERE key = 'renamed_connection'")
        ).scalar_one()
    assert names == ["belvedere-1", "belvedere-2"]
    assert saved == "belvedere-2"
    assert json.loads(record) == {"from": "belvedere", "to": "belvedere-2"}
    db.dispose()


def test_nothing_is_renamed_without_a_clash(metadata_url: str) -> None:
    db = Database(metadata_url)
    db.migrate()
    with db.engine.connect() as connection:
        found = connection.execute(
            text("SELECT value FROM meta WHERE key = 'renamed_connection'")
        ).scalar()
    assert found is None
    db.dispose()
