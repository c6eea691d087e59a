"""Try a connection with a deadline, and report what a person can act on: as the connection's
own account, and, where it queries as each user, as the person testing it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from belvedere.connections.service import ConnectionService, build_warehouse
from belvedere.execution.runs import Actor
from belvedere.execution.service import ExecutionService
from belvedere.identity.principal import SHARED, Principal
from belvedere.identity.service import AuthorizationRequired, IdentityError, IdentityService
from belvedere.warehouses.base import Warehouse
from belvedere.warehouses.errors import WarehouseError
from belvedere.warehouses.registry import backend_class

TEST_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class TestOutcome:
    """Whether a connection works, and the warehouse's words if not."""

    ok: bool
    message: str
    elapsed_ms: float


@dataclass(frozen=True)
class TestReport:
    """A connection tested as its own account and, if it queries as each user, as you."""

    connection: TestOutcome
    as_you: TestOutcome | None = None
    principal: str | None = None
    """Who the warehouse saw in the "as you" test."""

    @property
    def ok(self) -> bool:
        return self.connection.ok and (self.as_you is None or self.as_you.ok)

    @property
    def elapsed_ms(self) -> float:
        return self.connection.elapsed_ms + (self.as_you.elapsed_ms if self.as_you else 0.0)

    @property
    def message(self) -> str:
        """Both results in one sentence each."""
        own = f"As the connection's account: {self.connection.message}"
        if self.as_you is None:
            return own if not self.connection.ok else self.connection.message
        who = f" ({self.principal})" if self.principal else ""
        return f"{own} As you{who}: {self.as_you.message}"


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
    return await _within(execution, warehouse.kind, lambda: check_blocking(warehouse), timeout)


async def check_saved(
    execution: ExecutionService,
    connections: ConnectionService,
    identity: IdentityService,
    actor: Actor,
    name: str,
    timeout: float = TEST_TIMEOUT_SECONDS,
) -> TestReport:
    """Test a saved connection's live backend, then the per-user path of ``actor``."""
    warehouse = await execution.io(connections.warehouse, name)
    own = await check_connection(execution, warehouse, timeout)
    options = await execution.io(connections.options, name)
    return await _as_you(execution, identity, actor, name, warehouse.kind, options, own, timeout)


async def check_unsaved(
    execution: ExecutionService,
    identity: IdentityService,
    actor: Actor,
    name: str,
    kind: str,
    options: BaseModel,
    timeout: float = TEST_TIMEOUT_SECONDS,
) -> TestReport:
    """Test options before they are saved (as ``name``), both ways like :func:`check_saved`."""
    own = await _within(execution, kind, lambda: _check_built(kind, options, None), timeout)
    return await _as_you(execution, identity, actor, name, kind, options, own, timeout)


async def _as_you(
    execution: ExecutionService,
    identity: IdentityService,
    actor: Actor,
    name: str,
    kind: str,
    options: BaseModel,
    own: TestOutcome,
    timeout: float,
) -> TestReport:
    """Add the test as ``actor`` where the connection queries as each user: a per-user identity
    that is broken fails the test even when the connection's own account works."""
    try:
        principal = await execution.io(identity.resolve, actor, name, backend_class(kind), options)
    except (IdentityError, AuthorizationRequired) as exc:
        return TestReport(own, TestOutcome(False, str(exc), 0.0))
    if principal.key == SHARED:
        return TestReport(own)
    as_you = await _within(execution, kind, lambda: _check_built(kind, options, principal), timeout)
    return TestReport(own, as_you, principal.name)


def _check_built(kind: str, options: BaseModel, principal: Principal | None) -> TestOutcome:
    """Build a backend for an identity, test it, close it (blocking)."""
    started = time.perf_counter()
    try:
        made = principal.credentials if principal is not None else None
        warehouse = build_warehouse(kind, options, made() if made is not None else None)
    except WarehouseError as exc:
        return TestOutcome(False, exc.message, (time.perf_counter() - started) * 1000)
    except Exception as exc:  # credentials that could not be made
        return TestOutcome(False, f"{type(exc).__name__}: {exc}", 0.0)
    try:
        return check_blocking(warehouse)
    finally:
        warehouse.close()


async def _within(
    execution: ExecutionService, kind: str, check: Callable[[], TestOutcome], timeout: float
) -> TestOutcome:
    try:
        return await asyncio.wait_for(execution.on_pool_of(kind, check), timeout)
    except TimeoutError:
        return TestOutcome(False, f"No answer within {timeout:g} s.", timeout * 1000)
