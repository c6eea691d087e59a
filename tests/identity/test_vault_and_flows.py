"""The token vault and the pending flows over their store repositories: sealed at rest, one
grant per user and connection, a flow's state taken once and only before it expires."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from belvedere.auth.roles import Role
from belvedere.identity import flows as flows_module
from belvedere.identity.flows import PendingFlows
from belvedere.identity.vault import TokenVault
from belvedere.security.secretbox import SecretBox
from belvedere.store.db import Database
from belvedere.store.models import PendingFlow, UserToken
from belvedere.store.users import Users


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'meta.db'}")
    database.migrate()
    return database


def test_grants_are_sealed_one_per_user_and_connection(db: Database) -> None:
    user = Users(db).create("alice", Role.EDITOR, None)
    vault = TokenVault(db, SecretBox(b"v" * 32, "grants"))
    assert vault.get(user.id, "bq") is None
    vault.put(user.id, "bq", {"refresh_token": "refresh-token-one-plain"})
    vault.put(user.id, "bq", {"refresh_token": "refresh-token-two-plain"})
    vault.put(user.id, "an", {"refresh_token": "refresh-token-three-plain"})
    found = vault.get(user.id, "bq")
    assert found is not None and found[0] == {"refresh_token": "refresh-token-two-plain"}
    assert vault.connections_of(user.id) == ["an", "bq"]
    with db.session() as s:
        assert all(
            b"-plain" not in sealed and b"refresh" not in sealed
            for sealed in s.scalars(select(UserToken.sealed))
        )
    vault.delete(user.id, "bq")
    assert (vault.get(user.id, "bq"), vault.connections_of(user.id)) == (None, ["an"])


def test_a_flow_is_taken_once_by_its_state_and_kind(db: Database) -> None:
    flows = PendingFlows(db, SecretBox(b"f" * 32, "flows"))
    state = flows.start("signin", {"nonce": "nonce-one-plain"})
    with db.session() as s:
        stored = s.scalars(select(PendingFlow)).one()
        assert state not in stored.state_hash and b"nonce-one-plain" not in stored.sealed
    assert flows.take(state, "warehouse") is None  # another kind: gone all the same
    again = flows.start("signin", {"nonce": "n-2"}, connection="bq")
    taken = flows.take(again, "signin")
    assert taken is not None and (taken.data, taken.connection) == ({"nonce": "n-2"}, "bq")
    assert flows.take(again, "signin") is None


def test_an_expired_flow_is_refused(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    flows = PendingFlows(db, SecretBox(b"f" * 32, "flows"))
    monkeypatch.setattr(flows_module, "FLOW_LIFETIME", timedelta(seconds=-1))
    assert flows.take(flows.start("signin", {}), "signin") is None
