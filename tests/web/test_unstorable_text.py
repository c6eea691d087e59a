"""Text a metadata store cannot keep is refused in words: PostgreSQL stores no NUL character."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.fixtures.app import demo_services
from tests.support.servers.postgres import PostgresServer
from tests.support.web.client import Client

pytestmark = pytest.mark.postgres


@pytest.fixture
def services(
    make_settings: Callable[..., Settings],
    demo_path: Path,
    postgres: PostgresServer,
    pg_database: str,
) -> Iterator[Services]:
    settings = make_settings(database_url=postgres.url(pg_database))
    yield from demo_services(settings, demo_path)


def test_a_nul_in_a_name_is_refused_and_nothing_is_saved(client: Client) -> None:
    for path, body in (
        ("/api/v1/saved-queries", {"connection": "demo", "name": "a\u0000b", "sql": "SELECT 1"}),
        ("/api/v1/dashboards", {"title": "a\u0000b"}),
    ):
        response = client.post(path, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["error"] == {
            "code": "invalid_request",
            "message": "Text may not contain the NUL character (\\u0000).",
        }
    assert client.get("/api/v1/saved-queries").json() == []
    assert client.get("/api/v1/dashboards").json()["dashboards"] == []
