"""The metadata store on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from belvedere.auth.roles import Role
from belvedere.concurrency import Pools
from belvedere.connections.secrets import SecretSealer
from belvedere.connections.service import ConnectionInvalid, ConnectionService
from belvedere.execution.runs import RunStatus
from belvedere.identity.service import IdentityService
from belvedere.identity.vault import TokenVault
from belvedere.security.secretbox import SecretBox, SecretBoxError
from belvedere.settings import Settings
from belvedere.store.connections import ConnectionRecord, Connections
from belvedere.store.db import MIGRATIONS, Database, MigrationFailed, head_revision
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import Runs
from belvedere.store.sessions import SessionPolicy, Sessions
from belvedere.store.users import UserError, Users


@pytest.fixture
def db(metadata_url: str) -> Database:
    database = Database(metadata_url)
    database.migrate()
    return database


def test_migrations_apply_once_and_are_current(db: Database) -> None:
    assert db.is_current()
    db.migrate()  # a second start changes nothing
    assert db.is_current()


def test_the_head_read_from_the_files_is_alembics() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_server_migrates_in_a_child_process(metadata_url: str) -> None:
    database = Database(metadata_url)
    try:
        assert not database.is_current()
        database.migrate(in_child=True)
        assert database.is_current()
        with database.session() as session:  # the schema is there
            assert session.execute(text("SELECT count(*) FROM users")).scalar() == 0
    finally:
        database.dispose()


def test_a_failed_migration_in_the_child_says_why(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/store.db")
    try:
        with database.session() as session:  # in the way of the first migration
            session.execute(text("CREATE TABLE users (id INTEGER)"))
        with pytest.raises(MigrationFailed, match=r"migrations failed: .*already exists"):
            database.migrate(in_child=True)
        assert not database.is_current()
    finally:
        database.dispose()


def test_users_sign_in_with_their_password_only(db: Database) -> None:
    users = Users(db)
    alice = users.create("alice", Role.EDITOR, "alice-password")
    assert users.authenticate("alice", "alice-password").id == alice.id  # type: ignore[union-attr]
    assert users.authenticate("alice", "wrong-password") is None
    assert users.authenticate("nobody", "alice-password") is None
    with db.session() as s:
        stored = s.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert "alice-password" not in stored and stored.startswith("$argon2id$")


def test_user_rules(db: Database) -> None:
    users = Users(db)
    users.create("bob", Role.VIEWER, "bob-password")
    with pytest.raises(UserError, match="already exists"):
        users.create("bob", Role.VIEWER, "bob-password")
    with pytest.raises(UserError, match="at least 8"):
        users.create("carol", Role.VIEWER, "short")
    with pytest.raises(UserError, match="without spaces"):
        users.create("with space", Role.VIEWER, "long-enough")
    assert [u.username for u in users.list()] == ["bob"]


def test_deactivated_user_cannot_sign_in(db: Database) -> None:
    users = Users(db)
    user = users.create("dave", Role.EDITOR, "dave-password")
    users.update(user.id, is_active=False)
    assert users.authenticate("dave", "dave-password") is None


def test_sessions_live_expire_and_end(db: Database) -> None:
    user = Users(db).create("erin", Role.EDITOR, "erin-password")
    sessions = Sessions(db, SessionPolicy(idle=timedelta(hours=1), absolute=timedelta(days=1)))
    token = sessions.start(user.id)
    assert sessions.resolve(token).id == user.id  # type: ignore[union-attr]
    assert sessions.resolve(token + "x") is None
    sessions.end(token)
    assert sessions.resolve(token) is None

    expired = Sessions(db, SessionPolicy(idle=timedelta(0), absolute=timedelta(days=1)))
    assert expired.resolve(expired.start(user.id)) is None
    with db.session() as s:
        stored = s.execute(text("SELECT id_hash FROM sessions")).scalars().all()
    assert token not in stored  # only hashes are kept


def _run(run_id: str, status: RunStatus = RunStatus.QUEUED) -> QueryRun:
    now = utcnow()
    return QueryRun(
        id=run_id,
        user_id=None,
        actor="cli:test",
        connection_name="demo",
        surface="cli",
        sql="SELECT 1",
        status=status.value,
        max_rows=10,
        truncated=False,
        submitted_at=now,
        deadline_at=now + timedelta(seconds=30),
    )


def test_run_state_changes_are_compare_and_set(db: Database) -> None:
    runs = Runs(db)
    runs.add(_run("a1"))
    assert runs.transition("a1", [RunStatus.QUEUED], RunStatus.RUNNING, started_at=utcnow())
    assert runs.transition("a1", [RunStatus.RUNNING], RunStatus.CANCELLED)
    # The worker finishing later loses: the run stays cancelled.
    assert not runs.transition("a1", [RunStatus.RUNNING], RunStatus.SUCCEEDED, row_count=1)
    stored = runs.get("a1")
    assert stored is not None and stored.status == "cancelled" and stored.row_count is None


def test_a_run_finished_by_its_holder_is_told_once_as_it_ended(db: Database) -> None:
    runs = Runs(db)
    heard: list[tuple[str, str, int | None]] = []
    runs.on_end.append(lambda run: heard.append((run.id, run.status, run.row_count)))
    held = runs.add(_run("f1", RunStatus.RUNNING))
    ended = runs.finish(held, [RunStatus.RUNNING], RunStatus.SUCCEEDED, row_count=4)
    assert ended is not None and ended.status == "succeeded" and ended.row_count == 4
    stored = runs.get("f1")
    assert stored is not None and (stored.status, stored.row_count) == ("succeeded", 4)
    # A second end (a cancel that came too late) changes nothing and is not told.
    assert runs.finish(held, [RunStatus.RUNNING], RunStatus.CANCELLED) is None
    assert heard == [("f1", "succeeded", 4)]
    with pytest.raises(ValueError, match="not a final state"):
        runs.finish(held, [RunStatus.QUEUED], RunStatus.RUNNING)


def test_overdue_active_runs_are_expired(db: Database) -> None:
    runs = Runs(db)
    runs.add(_run("b1", RunStatus.RUNNING))
    runs.add(_run("b2", RunStatus.SUCCEEDED))
    assert runs.expire_overdue(utcnow(), "gone") == 0
    assert runs.expire_overdue(utcnow() + timedelta(minutes=5), "gone") == 1
    assert runs.get("b1").status == "failed"  # type: ignore[union-attr]
    assert runs.get("b2").status == "succeeded"  # type: ignore[union-attr]


def test_connection_secrets_are_encrypted_at_rest(db: Database, pools: Pools) -> None:
    connections = _connections(db, pools, b"k")
    connections.add(
        "pg",
        "postgres",
        {"host": "db.internal", "database": "shop", "user": "me", "password": "hunter2-secret"},
    )
    with db.session() as s:
        raw = s.execute(text("SELECT options, sealed_secrets FROM connections")).one()
    assert "hunter2-secret" not in str(raw.options)
    assert b"hunter2-secret" not in bytes(raw.sealed_secrets)
    view = connections.get("pg")
    assert view.secrets_set == ("password",)
    assert "password" not in view.options
    assert connections.options("pg").password.get_secret_value() == "hunter2-secret"  # type: ignore[attr-defined]

    # An edited form tests with the stored secret when it leaves the secret blank.
    merged = connections.with_stored_secrets("pg", {"host": "db3.internal", "password": None})
    assert merged == {"host": "db3.internal", "password": "hunter2-secret"}

    # Changing another option keeps the stored secret; "" clears it.
    connections.update("pg", {"host": "db2.internal"})
    assert connections.get("pg").secrets_set == ("password",)
    connections.update("pg", {"password": ""})
    assert connections.get("pg").secrets_set == ()

    other_key = _connections(db, pools, b"z")
    connections.update("pg", {"password": "again-secret"})
    with pytest.raises(SecretBoxError, match="SECRET_KEY"):
        other_key.options("pg")


def test_connection_validation_keeps_what_is_stored(db: Database, pools: Pools) -> None:
    connections = _connections(db, pools, b"k")
    connections.add("warehouse", "duckdb", {"path": ":memory:", "read_only": False})
    with pytest.raises(ConnectionInvalid, match="already exists"):
        connections.add("warehouse", "duckdb", {"path": ":memory:"})
    with pytest.raises(ConnectionInvalid, match="path"):
        connections.add("other", "duckdb", {})
    with pytest.raises(ConnectionInvalid, match="unknown connection kind"):
        connections.add("other", "oracle", {})
    with pytest.raises(ConnectionInvalid, match="name"):
        connections.add("bad name!", "duckdb", {"path": ":memory:"})
    with pytest.raises(ConnectionInvalid, match="read_only"):
        connections.update("warehouse", {"path": 5, "read_only": "maybe"})
    assert [c.name for c in connections.list()] == ["warehouse"]
    assert connections.get("warehouse").options["path"] == ":memory:"


def test_the_models_match_the_migrations(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from belvedere.store.models import Base

    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


@pytest.fixture
def pools() -> Iterator[Pools]:
    made = Pools.create(remote_threads=1, embedded_threads=1)
    yield made
    made.shutdown()


def _connections(db: Database, pools: Pools, key: bytes) -> ConnectionService:
    sealer = SecretSealer(SecretBox(key * 32, "connections"))
    return ConnectionService(Connections(db), sealer, _identity(db), pools)


def _identity(db: Database) -> IdentityService:
    return IdentityService(Settings(), TokenVault(db, SecretBox(b"g" * 32, "grants")))


def test_the_connections_repository_hands_out_records(db: Database) -> None:
    connections = Connections(db)
    record = ConnectionRecord("wh", "duckdb", {"path": ":memory:"}, b"sealed", None)
    assert connections.add(record)
    assert not connections.add(record)  # the name is taken: nothing changes
    assert connections.get("wh") == record
    changed = connections.update("wh", {"timeout_seconds": 9.0, "sealed_secrets": None})
    assert changed == ConnectionRecord("wh", "duckdb", {"path": ":memory:"}, None, 9.0)
    assert connections.list() == [changed]
    assert connections.update("nope", {"timeout_seconds": 1.0}) is None
    assert connections.remove("wh") and not connections.remove("wh")
    assert connections.get("wh") is None and not connections.exists("wh")
