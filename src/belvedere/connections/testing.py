"""Try a connection with a deadline, and report what a person can act on."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from belvedere.concurrency import run_in_pool
from belvedere.warehouses.base import Warehouse
from belvedere.warehouses.errors import WarehouseError

TEST_TIMEOUT_SECONDS = 15.0

# Tests may hang on a dead host; they get their own small pool so they never starve queries.
_pool = ThreadPoolExecutor(4, thread_name_prefix="belvedere-conntest")


@dataclass(frozen=True)
class TestOutcome:
    """Whether a connection works, and the warehouse's words if not."""

    ok: bool
    message: str
    elapsed_ms: float


def _try(warehouse: Warehouse) -> TestOutcome:
    started = time.perf_counter()
    try:
        warehouse.test()
    except WarehouseError as exc:
        ok, message = False, exc.message
    except Exception as exc:  # a driver error the backend did not translate
        ok, message = False, f"{type(exc).__name__}: {exc}"
    else:
        ok, message = True, "Connected."
    return TestOutcome(ok, message, (time.perf_counter() - started) * 1000)


def check_blocking(warehouse: Warehouse) -> TestOutcome:
    """Test a connection on the calling thread (for the CLI)."""
    return _try(warehouse)


async def check_connection(
    warehouse: Warehouse, timeout: float = TEST_TIMEOUT_SECONDS
) -> TestOutcome:
    """Test a connection, giving up after ``timeout`` seconds."""
    try:
        return await asyncio.wait_for(run_in_pool(_pool, _try, warehouse), timeout)
    except TimeoutError:
        return TestOutcome(False, f"No answer within {timeout:g} s.", timeout * 1000)
