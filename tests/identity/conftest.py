"""Tests of per-user identity (fixtures in tests/support/fixtures/identity.py). Tests here that
use the BigQuery emulator get the ``bigquery`` marker: ``pytest -m "not bigquery"`` skips them."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
_EMULATOR = {"bq_emulator", "_bq_process", "secure_sales"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents and _EMULATOR & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.bigquery)
