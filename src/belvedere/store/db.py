"""The metadata database: engine, sessions and migrations applied at start.

Alembic is imported only when a migration is pending (:mod:`belvedere.store.migrate`): whether
the schema is current is read from its ``alembic_version`` table and the migration files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from belvedere.child import run_module

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
#: The longest migrations may take in a child process.
CHILD_TIMEOUT_SECONDS = 3600.0
_REVISION = re.compile(r"^revision\b.*?=\s*['\"](\w+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b.*?=(.*)$", re.MULTILINE)


class MigrationFailed(RuntimeError):
    """The child process that applies the migrations failed."""


class Database:
    """One metadata database. Sessions are short-lived and used from worker threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _create_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def exclusive(self, what: str) -> Iterator[None]:
        """Hold an installation-wide lock named ``what`` (a PostgreSQL advisory lock), so
        that processes starting together (several web servers and workers on one new
        database) take turns at it; SQLite serves one host and needs none."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        key = int.from_bytes(hashlib.sha256(what.encode()).digest()[:8], "big", signed=True)
        with self.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()

    def migrate(self, *, in_child: bool = False) -> None:
        """Bring the schema to the newest migration (one process at a time); nothing to do
        (the usual start) costs one query. ``in_child``: apply them in a child process, so a
        long-running server never loads Alembic (about 10 MB); a database in memory is always
        migrated here."""
        if self.is_current():
            return
        with self.exclusive("belvedere migrations"):
            if in_child and not self._in_memory():
                _migrate_in_child(self.url)
            else:
                self.upgrade()

    def upgrade(self) -> None:
        """Apply the pending migrations in this process (no lock: see :meth:`migrate`)."""
        from belvedere.store.migrate import upgrade

        with self.engine.begin() as connection:
            upgrade(connection)

    def is_current(self) -> bool:
        """Whether every migration has been applied."""
        with self.engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return False
            applied = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
            return [row[0] for row in applied] == [head_revision()]

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _in_memory(self) -> bool:
        url = make_url(self.url)
        return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def head_revision() -> str | None:
    """The newest migration's revision, read from the migration files (without Alembic);
    ``None`` unless there is exactly one head."""
    revisions: set[str] = set()
    replaced: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text()
        revisions.update(_REVISION.findall(source))
        for down in _DOWN_REVISION.findall(source):
            replaced.update(re.findall(r"['\"](\w+)['\"]", down))
    heads = revisions - replaced
    return heads.pop() if len(heads) == 1 else None


def _migrate_in_child(url: str) -> None:
    """Run ``python -m belvedere.store.migrate`` on ``url`` (given on its standard input:
    it may hold a password); raises :class:`MigrationFailed` with the child's error."""
    failed = run_module("belvedere.store.migrate", stdin=url, timeout=CHILD_TIMEOUT_SECONDS)
    if failed is not None:
        raise MigrationFailed(f"applying the metadata store's migrations failed: {failed}")


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
