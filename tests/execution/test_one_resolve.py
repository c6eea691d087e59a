"""A run resolves its connection once, at submit: one read, secrets decrypted at most once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, RunStatus, Surface
from belvedere.security.secretbox import SecretBox
from belvedere.services import Services
from belvedere.settings import Settings
from belvedere.store.connections import Connections
from belvedere.warehouses.errors import ErrorKind, WarehouseError
from tests.support.servers.postgres import PostgresServer

pytestmark = pytest.mark.anyio

ALICE = Actor(user_id=1, name="admin", role="admin")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _counted(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[int]:
    calls = [0]
    original: Callable[..., Any] = getattr(cls, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(cls, name, counting)
    return calls


async def test_a_run_reads_and_decrypts_its_connection_once(
    make_settings: Callable[..., Settings],
    postgres: PostgresServer,
    pg_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = Services(make_settings())
    services.first_start()
    where = {"host": postgres.host, "port": postgres.port, "database": pg_database}
    services.connections.add("pg", "postgres", {**where, "user": "postgres", "password": "pw"})
    decrypted = _counted(monkeypatch, SecretBox, "open")
    read = _counted(monkeypatch, Connections, "get")
    try:
        request = QueryRequest(
            connection="pg", sql="SELECT 1 AS one", actor=ALICE, surface=Surface.API
        )
        run = await services.execution.submit(request)
        ended = await services.execution.wait(run.id, ALICE, timeout=60)
        assert ended.status == RunStatus.SUCCEEDED, ended.error_message
        assert (decrypted[0], read[0]) == (1, 1)
        # A second run within the definition's few seconds reads and decrypts nothing.
        again = await services.execution.submit(request)
        assert (await services.execution.wait(again.id, ALICE, 60)).status == "succeeded"
        assert (decrypted[0], read[0]) == (1, 1)
    finally:
        await services.execution.close()
        services.close()


def test_a_run_resolved_before_its_connection_changed_is_refused(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A run waiting its turn holds a handle read before an admin changed the connection (its
    options, perhaps its identity): its worker must not build (and leave live for every later
    run) a backend of the old options, nor run as the old identity on the new ones."""
    path = tmp_path / "writable.duckdb"
    duckdb.connect(str(path)).close()
    services = Services(make_settings())
    services.first_start()
    services.connections.add("w", "duckdb", {"path": str(path), "read_only": False})
    try:
        queued = services.connections.resolve("w", ALICE)  # submitted, waiting for a thread
        services.connections.update("w", {"read_only": True})  # the admin locks it down
        with pytest.raises(WarehouseError) as refused:  # the worker starts
            services.connections.backend(queued)
        assert refused.value.kind is ErrorKind.CANCELLED
        assert "changed while this query waited" in refused.value.message
        later = services.connections.resolve("w", ALICE)
        backend = services.connections.backend(later)
        assert backend.options.read_only is True  # type: ignore[attr-defined]
    finally:
        services.close()
