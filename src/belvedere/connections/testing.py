"""Try a connection with a deadline, on its backend's lane, and report what a person can act
on: as the connection's own account, and, where it queries as each user, as the person
testing it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from belvedere.concurrency import Pools
from belvedere.connections.definition import Definition
from belvedere.connections.handle import ConnectionHandle
from belvedere.connections.live import build
from belvedere.execution.runs import Actor
from belvedere.identity.principal import CONNECTION_IDENTITY, SHARED
from belvedere.identity.service import AuthorizationRequired, IdentityError, IdentityService
from belvedere.warehouses.base import Warehouse
from belvedere.warehouses.errors import WarehouseError

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
    """Test a backend on the calling thread (for the CLI)."""
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


def _check_with(get: Callable[[], Warehouse], close: bool) -> TestOutcome:
    """Get a backend, test it, and close it if it was built for this test (blocking)."""
    started = time.perf_counter()
    try:
        warehouse = get()
    except WarehouseError as exc:
        return TestOutcome(False, exc.message, (time.perf_counter() - started) * 1000)
    except Exception as exc:  # credentials that could not be made
        return TestOutcome(False, f"{type(exc).__name__}: {exc}", 0.0)
    try:
        return check_blocking(warehouse)
    finally:
        if close:
            warehouse.close()


class ConnectionTester:
    """Runs connection tests on the backend's lane, each within its deadline."""

    def __init__(
        self,
        pools: Pools,
        identity: IdentityService,
        live: Callable[[ConnectionHandle], Warehouse],
    ) -> None:
        """``live``: a saved connection's live backend for a handle."""
        self._pools = pools
        self._identity = identity
        self._live = live

    async def own(self, definition: Definition, timeout: float) -> TestOutcome:
        """Test a saved connection's live backend, as its own account."""
        handle = definition.handle(CONNECTION_IDENTITY)
        return await self._test(definition.backend, lambda: self._live(handle), False, timeout)

    async def saved(self, definition: Definition, actor: Actor, timeout: float) -> TestReport:
        """Test a saved connection as its own account, then as ``actor``."""
        own = await self.own(definition, timeout)
        return await self._as_you(
            actor, definition.view.name, definition.backend, definition.options, own, timeout
        )

    async def unsaved(
        self,
        actor: Actor,
        name: str,
        backend: type[Warehouse],
        options: BaseModel,
        timeout: float,
    ) -> TestReport:
        """Test options before they are saved (as ``name``), both ways like :meth:`saved`."""
        own = await self._test(
            backend, lambda: build(backend, options, CONNECTION_IDENTITY), True, timeout
        )
        return await self._as_you(actor, name, backend, options, own, timeout)

    async def _as_you(
        self,
        actor: Actor,
        name: str,
        backend: type[Warehouse],
        options: BaseModel,
        own: TestOutcome,
        timeout: float,
    ) -> TestReport:
        """Add the test as ``actor`` where the connection queries as each user: a per-user
        identity that is broken fails the test even when the connection's own account works."""
        try:
            principal = await self._pools.io.run(
                self._identity.resolve, actor, name, backend, options
            )
        except (IdentityError, AuthorizationRequired) as exc:
            return TestReport(own, TestOutcome(False, str(exc), 0.0))
        if principal.key == SHARED:
            return TestReport(own)
        as_you = await self._test(
            backend, lambda: build(backend, options, principal), True, timeout
        )
        return TestReport(own, as_you, principal.name)

    async def _test(
        self, backend: type[Warehouse], get: Callable[[], Warehouse], close: bool, timeout: float
    ) -> TestOutcome:
        """Get a backend and test it on its lane, giving up after ``timeout`` seconds."""
        lane = self._pools.for_backend(backend.embedded)
        try:
            return await asyncio.wait_for(lane.run(_check_with, get, close), timeout)
        except TimeoutError:
            return TestOutcome(False, f"No answer within {timeout:g} s.", timeout * 1000)
