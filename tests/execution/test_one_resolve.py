"""A run resolves its connection once, at submit: one read, secrets decrypted at most once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, RunStatus, Surface
from belvedere.security.secretbox import SecretBox
from belvedere.services import Services
from belvedere.settings import Settings
from belvedere.store.connections import Connections
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
