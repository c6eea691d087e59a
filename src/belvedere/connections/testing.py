"""Try a connection with a deadline, and report what a person can act on."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from belvedere.execution.service import ExecutionService
from belvedere.warehouses.base import Warehouse
from belvedere.warehouses.errors import WarehouseError

TEST_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class TestOutcome:
    """Whether a connection works, and the warehouse's words if not."""

    ok: bool
    message: str
    elapsed_ms: float


def check_blocking(warehouse: Warehouse) -> TestOutcome:
    """Test a connection on the calling thread (for the CLI)."""
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


async def check_connection(
    execution: ExecutionService,
    warehouse: Warehouse,
    timeout: float = TEST_TIMEOUT_SECONDS,
) -> TestOutcome:
    """Test a connection on its backend's pool, giving up after ``timeout`` seconds."""
    try:
        return await asyncio.wait_for(
            execution.on_pool_of(warehouse.kind, lambda: check_blocking(warehouse)), timeout
        )
    except TimeoutError:
        return TestOutcome(False, f"No answer within {timeout:g} s.", timeout * 1000)
