"""The root of the tests: a clean environment, the shared fixtures' plugins (grouped by what
they set up, in ``tests/support/fixtures/``), and the order the tests run in."""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "tests.support.fixtures.app",
    "tests.support.fixtures.postgres",
    "tests.support.fixtures.redis",
    "tests.support.fixtures.cluster",
    "tests.support.fixtures.bigquery",
    "tests.support.fixtures.identity",
]

os.environ["NO_GCE_CHECK"] = "true"
for name in list(os.environ):  # the tests' own BELVEDERE_TEST_* overrides stay
    if name.startswith("BELVEDERE_") and not name.startswith("BELVEDERE_TEST_"):
        del os.environ[name]


def pytest_configure(config: pytest.Config) -> None:
    # oidc-provider-mock (tests/support/identity/oidc.py) uses authlib APIs that authlib
    # deprecates.
    config.addinivalue_line("filterwarnings", "ignore:get_jwt_config:DeprecationWarning")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: Playwright's sync API keeps an event loop running on the
    main thread from its first use to the end of the session, which other tests' own event
    loops cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
