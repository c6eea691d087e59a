"""Fixtures of the cost governance tests: Belvedere on the BigQuery emulator through the
recording proxy (the fixtures of tests/bigquery/conftest.py, imported), with a connection
``bq`` that has no cap of its own, and users to hold to rules. Tests that use the emulator
get the ``bigquery`` marker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.settings import Settings
from tests.bigquery.conftest import (  # noqa: F401 (fixtures)
    _bq_proxies_fresh,
    bq_grpc_proxy,
    bq_http_proxy,
    bq_options,
)
from tests.support.web.client import PASSWORD, Client, MakeClient, app_clients

BQ_FIXTURES = {"bq_http_proxy", "bq_options", "cost_services"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BQ_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.bigquery)


@pytest.fixture
def cost_services(
    make_settings: Callable[..., Settings],
    bq_options: dict[str, Any],  # noqa: F811 (the fixture imported above)
) -> Iterator[Services]:
    """Services (server time zone Europe/Paris) with a BigQuery connection ``bq`` on the
    emulator, without a cap of its own, and users ``ann`` (editor, group analysts), ``bob``
    (editor, groups analysts and finance), ``eve`` (editor) and ``vic`` (viewer, group
    analysts)."""
    services = Services(make_settings(timezone="Europe/Paris"))
    services.first_start()
    services.connections.add("bq", "bigquery", bq_options)
    for name, role, groups in [
        ("ann", Role.EDITOR, ["analysts"]),
        ("bob", Role.EDITOR, ["analysts", "finance"]),
        ("eve", Role.EDITOR, []),
        ("vic", Role.VIEWER, ["analysts"]),
    ]:
        user = services.users.create(name, role, PASSWORD)
        services.users.update(user.id, groups=groups)
    yield services
    services.close()


@pytest.fixture
def cost_clients(cost_services: Services) -> Iterator[MakeClient]:
    """Makes clients of one app over :func:`cost_services` (sign in with ``.login(name)``)."""
    with app_clients(cost_services) as make:
        yield make


@pytest.fixture
def admin(cost_clients: MakeClient) -> Client:
    return cost_clients().login()
