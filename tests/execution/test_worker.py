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


def _execute_one(services: Services, worker: Worker) -> RunControl:
    """Queue one run of ``SELECT 1`` on connection ``bq`` and have ``worker`` execute it."""
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
    return control


def test_a_dead_grant_is_revoked_through_the_one_callback(services: Services) -> None:
    revoked: list[tuple[int, str]] = []
    worker = Worker(
        services.runs,
        services.execution.results,
        lambda handle: _DeadGrant(),
        lambda user_id, connection: revoked.append((user_id, connection)),
        services.metrics,
    )
    control = _execute_one(services, worker)
    assert control.worker_done.is_set()
    ended: Any = services.runs.get(control.run.id)
    assert (ended.status, ended.error_code) == (RunStatus.FAILED, "authorization_required")
    assert revoked == [(1, "bq")]


class _Later:
    """An ``alongside`` lane that runs what it is given only when told (a busy I/O lane)."""

    def __init__(self) -> None:
        self.pending: list[Any] = []

    def submit(self, fn: Any, *args: Any) -> None:
        self.pending.append((fn, args))

    def run_pending(self) -> None:
        while self.pending:
            fn, args = self.pending.pop(0)
            fn(*args)


class _RunsRecordingStartLate:
    """The runs repository, with the worker's start recorded right after its end is written:
    the instant before the worker tells its control how the run ended."""

    def __init__(self, runs: Any, lane: _Later) -> None:
        self._runs, self._lane = runs, lane

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runs, name)

    def finish(self, *args: Any, **kwargs: Any) -> Any:
        ended = self._runs.finish(*args, **kwargs)
        self._lane.run_pending()
        return ended


def test_a_start_recorded_after_the_worker_ended_its_run_stops_nothing(
    services: Services,
) -> None:
    # With the I/O lane busy, a run's start can be written after the run has ended; that is
    # no cancel from another process, and must not send the warehouse a cancel for it.
    lane = _Later()
    worker = Worker(
        _RunsRecordingStartLate(services.runs, lane),  # type: ignore[arg-type]
        services.execution.results,
        lambda handle: _DeadGrant(),
        lambda user_id, connection: None,
        services.metrics,
        alongside=lane,  # type: ignore[arg-type]
    )
    control = _execute_one(services, worker)
    assert lane.pending == []  # the start was recorded, late
    assert not control.stop_requested
    ended: Any = services.runs.get(control.run.id)
    assert ended.status == RunStatus.FAILED
