"""Fixtures of the BigQuery tests: a real emulator (bqemulator) started and seeded once per
session, proxies of the tests' own in front of it (REST and gRPC) whose faults and recordings
are reset around every test, and Belvedere's connection options pointing at those proxies.

Every test in this folder gets the ``bigquery`` marker: ``pytest -m "not bigquery"`` skips them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.bigquery.emulator import Emulator
from tests.support.faults import HttpProxy, TcpProxy
from tests.support.web.client import Client, app_clients

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.bigquery)


@pytest.fixture(scope="session")
def bq_http_proxy(bq_emulator: Emulator) -> Iterator[HttpProxy]:
    """A recording proxy with faults in front of the emulator's REST API."""
    with HttpProxy(bq_emulator.rest_url) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def bq_grpc_proxy(bq_emulator: Emulator) -> Iterator[TcpProxy]:
    """A TCP proxy with faults in front of the emulator's gRPC (Storage Read API) port."""
    with TcpProxy(bq_emulator.grpc_target) as proxy:
        yield proxy


@pytest.fixture(autouse=True)
def _bq_proxies_fresh(request: pytest.FixtureRequest) -> Iterator[None]:
    """No faults and no recordings at the start of each test that uses a proxy; after it, its
    faults are removed again (which closes hung requests and stalled connections), and an
    error inside a proxy (e.g. a predicate that raised) fails the test."""
    names = [n for n in ("bq_http_proxy", "bq_grpc_proxy") if n in request.fixturenames]
    proxies: list[HttpProxy | TcpProxy] = [request.getfixturevalue(n) for n in names]
    for proxy in proxies:
        proxy.reset()
        proxy.clear()
        proxy.errors.clear()
    yield
    errors = []
    for proxy in proxies:
        proxy.reset()
        errors += proxy.errors
    if errors:
        pytest.fail(f"errors inside the test proxies: {errors!r}")


@pytest.fixture(scope="session")
def bq_through_proxies(
    bq_emulator: Emulator, bq_http_proxy: HttpProxy, bq_grpc_proxy: TcpProxy
) -> Emulator:
    """The emulator as seen through the proxies: its ``client()`` and ``storage_client()`` go
    through them (for tests of the raw SDK)."""
    return Emulator(
        rest_url=bq_http_proxy.url,
        grpc_target=bq_grpc_proxy.target,
        project=bq_emulator.project,
    )


@pytest.fixture
def bq_options(
    bq_emulator: Emulator, bq_http_proxy: HttpProxy, bq_grpc_proxy: TcpProxy
) -> dict[str, Any]:
    """Options of a Belvedere BigQuery connection to the emulator, through the proxies."""
    return {
        "project": bq_emulator.project,
        "auth": "none",
        "api_endpoint": bq_http_proxy.url,
        "storage_api_endpoint": bq_grpc_proxy.target,
        "storage_api_insecure": True,
    }


# -- Belvedere on the emulator ---------------------------------------------------------------

BQ_CAP = 10**12  # maximum_bytes_billed of the test connection: 1 TB


@pytest.fixture
def bq_services(
    make_settings: Callable[..., Settings], bq_options: dict[str, Any]
) -> Iterator[Services]:
    """Services with a BigQuery connection ``bq`` on the emulator (through the proxies),
    capped at :data:`BQ_CAP` bytes billed per query."""
    services = Services(make_settings())
    services.first_start()
    services.connections.add("bq", "bigquery", {**bq_options, "maximum_bytes_billed": BQ_CAP})
    yield services
    services.close()


@pytest.fixture
def bq_api(bq_services: Services) -> Iterator[Client]:
    """An in-process client of an app over :func:`bq_services`, signed in as the admin."""
    with app_clients(bq_services) as make:
        yield make().login()
