"""Alembic, imported only when a migration is pending: :meth:`Database.migrate` applies them
here or, for a server, in a child process (``python -m belvedere.store.migrate``, the database
URL on its standard input), whose memory goes back to the system when it ends."""

from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from belvedere.child import exit_with
from belvedere.store.db import MIGRATIONS, Database


def alembic_config() -> Config:
    """Alembic's configuration of Belvedere's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Apply the pending migrations on ``connection``, up to ``revision``."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def main() -> None:
    """The child process: migrate the database whose URL is on standard input."""
    database = Database(sys.stdin.read().strip())
    try:
        database.upgrade()
    except Exception as exc:  # one line for the parent's error (Database.migrate)
        exit_with(exc)
    finally:
        database.dispose()


if __name__ == "__main__":
    main()
