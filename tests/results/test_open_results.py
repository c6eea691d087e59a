"""The results store is chosen by BELVEDERE_RESULTS_URL; a result too large for it fails
its run with a message that says what to do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, Surface
from belvedere.results import FilesystemStore, FolderStore, RedisStore, open_results
from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.fixtures.app import demo_services
from tests.support.servers.redis import RedisServer

ADMIN = Actor(user_id=1, name="admin", role="admin")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_url_chooses_the_store(
    make_settings: Callable[..., Settings], tmp_path: Path, redis: RedisServer
) -> None:
    folder = open_results(make_settings())
    assert isinstance(folder, FolderStore)
    assert folder.directory == make_settings().results_dir
    assert isinstance(open_results(make_settings(results_url=redis.url())), RedisStore)
    shared = (tmp_path / "shared").as_uri()
    assert isinstance(open_results(make_settings(results_url=shared)), FilesystemStore)
    assert isinstance(open_results(make_settings(results_url="memory://results")), FilesystemStore)


@pytest.fixture
def redis_services(
    make_settings: Callable[..., Settings], demo_path: Path, redis: RedisServer
) -> Iterator[Services]:
    """Services whose results store is Redis, with a 1 MB budget."""
    settings = make_settings(results_url=redis.url(), results_budget_mb=1)
    yield from demo_services(settings, demo_path)


@pytest.mark.anyio
async def test_a_result_too_large_for_redis_fails_its_run(redis_services: Services) -> None:
    services = redis_services
    request = QueryRequest(
        connection="demo",
        sql="SELECT md5(range::VARCHAR) || md5((-range)::VARCHAR) AS text FROM range(100000)",
        actor=ADMIN,
        surface=Surface.API,
    )
    run = await services.execution.submit(request)
    ended = await services.execution.wait(run.id, ADMIN, timeout=60)
    assert (ended.status, ended.error_code) == ("failed", "result_too_large")
    assert "filesystem results store" in (ended.error_message or "")
    small = await services.execution.submit(
        QueryRequest(connection="demo", sql="SELECT 42 AS n", actor=ADMIN, surface=Surface.API)
    )
    done = await services.execution.wait(small.id, ADMIN, timeout=60)
    page = await services.execution.page(done, 0, 10)
    assert page.rows.column("n").to_pylist() == [42]
    await services.execution.close()
