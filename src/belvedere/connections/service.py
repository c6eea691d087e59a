"""Connections: list, read, add, change, test and remove them; resolve one for a run; call its
live backend on the backend's lane."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import TTLCache
from pydantic import BaseModel

from belvedere.concurrency import Pools
from belvedere.connections.definition import ConnectionView, Definition, secrets_set
from belvedere.connections.handle import ConnectionHandle
from belvedere.connections.internal import INTERNAL_CONNECTION, InternalConnection, refuse_internal
from belvedere.connections.live import LiveBackends, StaleHandle
from belvedere.connections.secrets import SecretSealer, secret_fields
from belvedere.connections.testing import (
    TEST_TIMEOUT_SECONDS,
    ConnectionTester,
    TestOutcome,
    TestReport,
)
from belvedere.connections.validation import (
    ConnectionConflict,
    ConnectionInvalid,
    check_name,
    check_timeout,
    validate_options,
)
from belvedere.execution.runs import Actor
from belvedere.identity.principal import (
    CONNECTION_IDENTITY,
    Principal,
    user_key_prefix,
    user_of_key,
)
from belvedere.identity.service import IdentityService, per_user
from belvedere.store.connections import ConnectionRecord, Connections
from belvedere.warehouses.base import Warehouse
from belvedere.warehouses.errors import ErrorKind, WarehouseError
from belvedere.warehouses.registry import backend_class

__all__ = [
    "ConnectionConflict",
    "ConnectionInvalid",
    "ConnectionNotFound",
    "ConnectionService",
    "ConnectionView",
    "secret_fields",
]

T = TypeVar("T")

#: How long a connection's definition is reused without reading it again (per process).
DEFINITION_TTL_SECONDS = 5.0
#: Definitions remembered at once.
MAX_DEFINITIONS = 1024
CHANGED_MESSAGE = "The connection changed while this query waited its turn; run it again."


class ConnectionNotFound(LookupError):
    """No connection of that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no connection named {name!r}")
        self.name = name


class ConnectionService:
    """The one way to connections: their definitions, their live backends, their tests."""

    def __init__(
        self,
        repository: Connections,
        sealer: SecretSealer,
        identity: IdentityService,
        pools: Pools,
    ) -> None:
        self._repository = repository
        self._sealer = sealer
        self._identity = identity
        self._pools = pools
        self._live = LiveBackends()
        self._tester = ConnectionTester(pools, identity, self.backend)
        self._definitions: TTLCache[str, Definition] = TTLCache(
            MAX_DEFINITIONS, DEFINITION_TTL_SECONDS
        )
        self._lock = threading.Lock()
        self.on_change: list[Callable[[str], None]] = []
        """Called with a connection's name once it changed or was removed (blocking), in the
        process that changed it (what is stored about it; telling the other processes)."""
        self.on_forget: list[Callable[[str], None]] = []
        """Called with a connection's name when this process drops what it holds of it (it
        changed here or elsewhere): caches kept per process elsewhere (catalogs)."""
        self.internal: InternalConnection | None = None
        """The built-in connection ``belvedere`` (not listed; resolved by name), once wired."""

    # -- reading (blocking) --------------------------------------------------------------
    def list(self) -> list[ConnectionView]:
        """Every connection, by name."""
        return [self._view(r, self._sealer.open(r.sealed_secrets)) for r in self._repository.list()]

    def peek(self, name: str) -> ConnectionView | None:
        """A connection read in the last few seconds, without I/O; else ``None``."""
        if name == INTERNAL_CONNECTION and self.internal is not None:
            return self.internal.view
        with self._lock:
            definition = self._definitions.get(name)
        return definition.view if definition is not None else None

    def get(self, name: str) -> ConnectionView:
        """One connection, without its secrets (raises ``ConnectionNotFound``)."""
        return self._definition(name).view

    def options(self, name: str) -> BaseModel:
        """A connection's validated options, secrets included (for the backend only)."""
        return self._definition(name).options

    def exists(self, name: str) -> bool:
        """Whether a connection of that name exists."""
        return name == INTERNAL_CONNECTION or self._repository.exists(name)

    def queries_as_each_user(self, name: str) -> bool:
        """Whether a connection's queries run as each user's own identity (their grant, an
        account impersonated for them; the built-in one: each asker's own records), so the
        warehouse decides what each reads. ``False`` for a shared identity, or no connection."""
        if name == INTERNAL_CONNECTION:
            return True
        try:
            definition = self._definition(name)
        except ConnectionNotFound:
            return False
        return per_user(definition.backend, definition.options) is not None

    def resolve(self, name: str, actor: Actor) -> ConnectionHandle:
        """A connection as ``actor`` runs on it: settings, options, backend and principal, from
        at most one read and one decryption (raises ``ConnectionNotFound``,
        ``AuthorizationRequired``, ``IdentityError``)."""
        definition = self._definition(name)
        if name == INTERNAL_CONNECTION and self.internal is not None:
            return definition.handle(self.internal.principal(actor))
        principal = self._identity.resolve(actor, name, definition.backend, definition.options)
        return definition.handle(principal)

    def with_stored_secrets(self, name: str, options: dict[str, Any]) -> dict[str, Any]:
        """Options with the secrets left out (or null) taken from a stored connection."""
        stored = self._sealer.open(self._record(name).sealed_secrets)
        given = {k: v for k, v in options.items() if v is not None}
        return {**stored, **given}

    def _record(self, name: str) -> ConnectionRecord:
        record = self._repository.get(name)
        if record is None:
            raise ConnectionNotFound(name)
        return record

    def _definition(self, name: str) -> Definition:
        """A connection's view and options: remembered for a few seconds (every run asks),
        never across a change of the connection."""
        if name == INTERNAL_CONNECTION and self.internal is not None:
            return self.internal.definition
        generation = self._live.generation(name)  # before reading: a change meanwhile shows
        with self._lock:
            cached = self._definitions.get(name)
        if cached is not None and cached.generation == generation:
            return cached
        record = self._record(name)
        secrets = self._sealer.open(record.sealed_secrets)
        definition = Definition(
            self._view(record, secrets),
            validate_options(record.kind, {**record.options, **secrets}),
            backend_class(record.kind),
            generation,
        )
        with self._lock:
            if self._live.generation(name) == generation:
                self._definitions[name] = definition
        return definition

    @staticmethod
    def _view(record: ConnectionRecord, secrets: dict[str, Any]) -> ConnectionView:
        return ConnectionView(
            name=record.name,
            kind=record.kind,
            options=dict(record.options),
            secrets_set=secrets_set(secrets),
            timeout_seconds=record.timeout_seconds,
        )

    # -- writing (blocking) --------------------------------------------------------------
    def add(
        self, name: str, kind: str, options: dict[str, Any], timeout_seconds: float | None = None
    ) -> ConnectionView:
        """Create a connection after validating its options."""
        check_name(name)
        refuse_internal(name, kind)
        check_timeout(timeout_seconds)
        plain, secrets = self._sealer.split(validate_options(kind, options))
        record = ConnectionRecord(name, kind, plain, self._sealer.seal(secrets), timeout_seconds)
        if not self._repository.add(record):
            raise ConnectionInvalid(f"a connection named {name!r} already exists")
        return self._view(record, secrets)

    def update(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
        *,
        clear_timeout: bool = False,
    ) -> ConnectionView:
        """Merge changed options into the stored ones, or change the deadline.

        A secret given as ``None`` (or left out) keeps its stored value; ``""`` clears it.
        """
        refuse_internal(name)
        check_timeout(timeout_seconds)
        record = self._record(name)
        changes: dict[str, Any] = {}
        secrets = self._sealer.open(record.sealed_secrets)
        if options is not None:
            secret_names = secret_fields(backend_class(record.kind).options_model)
            merged = {**record.options, **secrets}
            for key, value in options.items():
                if not (value is None and key in secret_names):  # None keeps a stored secret
                    merged[key] = value
            plain, secrets = self._sealer.split(validate_options(record.kind, merged))
            changes.update(options=plain, sealed_secrets=self._sealer.seal(secrets))
        if timeout_seconds is not None or clear_timeout:
            changes["timeout_seconds"] = timeout_seconds
        updated = self._repository.update(name, changes)
        if updated is None:
            raise ConnectionNotFound(name)
        self._changed(name)
        return self._view(updated, secrets)

    def remove(self, name: str) -> None:
        """Delete a connection (its history stays)."""
        refuse_internal(name)
        if not self._repository.remove(name):
            raise ConnectionNotFound(name)
        self._changed(name)

    def _changed(self, name: str) -> None:
        """Drop what this process holds of a connection, then tell the hooks."""
        self.forget(name)
        for hook in self.on_change:
            hook(name)

    def forget(self, name: str) -> None:
        """The connection changed (here or in another process): close its live backends,
        refuse handles read before, read it again at next use."""
        self._live.retire(name)
        with self._lock:
            self._definitions.pop(name, None)
        for hook in self.on_forget:
            hook(name)

    def reconcile(self, grant_exists: Callable[[int, str], bool]) -> None:
        """Changes made elsewhere may have been missed (the bus was cut off): read every
        connection again at next use; retire those whose stored options are no longer what
        their live backends were built of (or that are gone), and drop the backends of users
        whose grant is gone. Backends still current go on: a blip of the bus stops no query.
        ``grant_exists(user id, connection)`` asks the token vault (blocking)."""
        with self._lock:
            self._definitions.clear()
        for name, (built_from, keys) in self._live.in_use().items():
            try:
                changed = self._definition(name).options != built_from
            except ConnectionNotFound:
                changed = True
            if changed:
                self.forget(name)
                continue
            for key in keys:
                user = user_of_key(key)
                if user is not None and not grant_exists(user, name):
                    self.forget_identity(name, user_key_prefix(user))

    # -- live backends -------------------------------------------------------------------
    def backend(self, handle: ConnectionHandle) -> Warehouse:
        """The live backend of a resolved connection for its principal, created on first use
        (blocking). One backend per identity: no client, cache or session is shared. A handle
        resolved before the connection changed (a run that waited its turn) gets none: the
        change may have given the connection another identity, so the run is refused with
        ``cancelled`` and asked to run again, and no backend of the old options outlives the
        change."""
        try:
            return self._live.get(handle)
        except StaleHandle:
            raise WarehouseError(ErrorKind.CANCELLED, CHANGED_MESSAGE) from None

    def warehouse(self, name: str, principal: Principal = CONNECTION_IDENTITY) -> Warehouse:
        """The live backend of a connection by name, for an identity (blocking; the CLI's)."""
        return self.backend(self._definition(name).handle(principal))

    async def call(self, handle: ConnectionHandle, func: Callable[[Warehouse], T]) -> T:
        """Call a blocking function of a resolved connection's live backend, for its principal,
        on the backend's lane (embedded engines on the embedded lane, others on remote). A
        warehouse error names the connection, so an authorization error carries its link."""
        lane = self._pools.for_backend(handle.embedded)
        try:
            return await lane.run(lambda: func(self.backend(handle)))
        except WarehouseError as exc:
            exc.connection = exc.connection or handle.name
            raise

    def forget_identity(self, name: str, key_prefix: str) -> None:
        """Drop the backends of identities whose key starts with ``key_prefix`` (a user's
        grant was revoked or deleted)."""
        self._live.drop(name, key_prefix)

    def close(self) -> None:
        """Close every live backend."""
        self._live.close()

    # -- testing -------------------------------------------------------------------------
    async def check(self, name: str, timeout: float = TEST_TIMEOUT_SECONDS) -> TestOutcome:
        """Test a saved connection as its own account, within ``timeout`` seconds."""
        definition = await self._pools.io.run(self._definition, name)
        return await self._tester.own(definition, timeout)

    async def test(
        self, name: str, actor: Actor, timeout: float = TEST_TIMEOUT_SECONDS
    ) -> TestReport:
        """Test a saved connection as its own account and, if it queries as each user, as
        ``actor``; each test on the backend's lane within ``timeout`` seconds."""
        definition = await self._pools.io.run(self._definition, name)
        return await self._tester.saved(definition, actor, timeout)

    async def test_unsaved(
        self,
        kind: str,
        options: dict[str, Any],
        actor: Actor,
        name: str | None = None,
        timeout: float = TEST_TIMEOUT_SECONDS,
    ) -> TestReport:
        """Test options before they are saved, like :meth:`test`; with ``name``, the stored
        connection's secrets fill those left blank (an edited form)."""
        refuse_internal(name, kind)
        if name is not None:
            options = await self._pools.io.run(self.with_stored_secrets, name, options)
        validated = validate_options(kind, options)
        backend = backend_class(kind)
        return await self._tester.unsaved(
            actor, name or "this connection", backend, validated, timeout
        )
