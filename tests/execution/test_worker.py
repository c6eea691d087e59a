"""The worker: a run that finds a user's grant dead calls the one injected revoke path."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from belvedere.connections.handle import ConnectionHandle
from belvedere.execution.control import RunControl
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, RunStatus, Surface
from belvedere.execution.worker import Worker
from belvedere.identity.principal import Principal
from belvedere.services import Services
from belvedere.store.models import QueryRun, utcnow
from belvedere.warehouses.base import Params, Query, QueryContext, TableInfo, Warehouse
from belvedere.warehouses.errors import ErrorKind, WarehouseError

ALICE = Actor(user_id=1, name="admin", role="admin")


class _Options(BaseModel):
    pass


class _DeadGrant(Warehouse):
    """A backend whose every query finds the user's grant dead."""

    kind = "dead"

    def query(self, sql: str, params: Params = None, context: QueryContext | None = None) -> Query:
        raise WarehouseError(ErrorKind.AUTHORIZATION, "Connect your account again.")

    def list_schemas(self) -> list[str]:
        return []

    def list_tables(self, schema: str) -> list[TableInfo]:
        return []

    def describe(self, schema: str, table: str) -> TableInfo:
        raise NotImplementedError

    def translate_error(self, exc: Exception, sql: str | None = None) -> Exception:
        return exc


def test_a_dead_grant_is_revoked_through_the_one_callback(services: Services) -> None:
    revoked: list[tuple[int, str]] = []
    worker = Worker(
        services.runs,
        services.execution.results,
        lambda handle: _DeadGrant(),
        lambda user_id, connection: revoked.append((user_id, connection)),
        services.metrics,
    )
    now = utcnow()
    run = QueryRun(
        id=uuid.uuid4().hex,
        user_id=ALICE.user_id,
        actor=ALICE.name,
        connection_name="bq",
        surface="api",
        sql="SELECT 1",
        status="queued",
        max_rows=10,
        truncated=False,
        submitted_at=now,
        deadline_at=now + timedelta(minutes=1),
    )
    services.runs.add(run)
    principal = Principal("user:1:0", "user:alice@example.com")
    handle = ConnectionHandle("bq", "dead", _DeadGrant, _Options(), None, principal)
    request = QueryRequest(connection="bq", sql="SELECT 1", actor=ALICE, surface=Surface.API)
    control = RunControl(run, principal)
    worker.execute(run, request, handle, control)
    assert control.worker_done.is_set()
    ended: Any = services.runs.get(run.id)
    assert (ended.status, ended.error_code) == (RunStatus.FAILED, "authorization_required")
    assert revoked == [(1, "bq")]
