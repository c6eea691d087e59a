"""Add, change, test and remove connections; hand out one live backend per connection."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import select

from belvedere.connections.handle import ConnectionHandle
from belvedere.execution.runs import Actor
from belvedere.identity.principal import CONNECTION_IDENTITY, Principal
from belvedere.identity.service import IdentityService
from belvedere.security.secretbox import SecretBox
from belvedere.store.db import Database
from belvedere.store.models import Connection
from belvedere.warehouses.base import Warehouse
from belvedere.warehouses.errors import OPTIONS_CONFLICT
from belvedere.warehouses.registry import backend_class

#: How long a connection's definition is reused without reading it again (per process).
VIEW_CACHE_SECONDS = 5.0
#: Live backends kept (one per connection and identity); the least recently used close beyond.
MAX_LIVE = 512

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ConnectionNotFound(LookupError):
    """No connection of that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no connection named {name!r}")
        self.name = name


class ConnectionInvalid(ValueError):
    """A connection's definition was refused; the message says why."""


class ConnectionConflict(ConnectionInvalid):
    """Options valid one by one that cannot work together (e.g. no credentials of its own,
    yet a per-user identity minted with them); the message says which and why."""


@dataclass(frozen=True)
class ConnectionView:
    """A connection as users may see it: options without secrets."""

    name: str
    kind: str
    options: dict[str, Any]
    secrets_set: tuple[str, ...]
    timeout_seconds: float | None


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields of an options model that hold secrets."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if info.annotation is SecretStr or SecretStr in get_args(info.annotation)
    )


def _validate(kind: str, options: dict[str, Any]) -> BaseModel:
    try:
        model = backend_class(kind).options_model
        return model.model_validate(options)
    except LookupError as exc:
        raise ConnectionInvalid(str(exc)) from None
    except ValidationError as exc:
        conflicts = [e["msg"] for e in exc.errors() if e["type"] == OPTIONS_CONFLICT]
        if conflicts:
            raise ConnectionConflict(
                f"These {kind} options cannot work together: {'; '.join(conflicts)}."
            ) from None
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in exc.errors()
        )
        raise ConnectionInvalid(f"invalid {kind} options: {problems}") from None


class ConnectionService:
    """The one place that reads, writes and opens connections."""

    def __init__(self, db: Database, box: SecretBox, identity: IdentityService) -> None:
        self._db = db
        self._box = box
        self._identity = identity
        self._live: OrderedDict[tuple[str, str], Warehouse] = OrderedDict()
        self._views: dict[str, tuple[float, ConnectionView]] = {}
        self._options: dict[str, tuple[float, BaseModel]] = {}
        self._lock = threading.Lock()
        self.on_change: list[Callable[[str], None]] = []
        """Called with a connection's name once it changed or was removed (blocking)."""

    # -- reading -------------------------------------------------------------------------
    def list(self) -> list[ConnectionView]:
        """Every connection, by name."""
        with self._db.session() as s:
            return [self._view(c) for c in s.scalars(select(Connection).order_by(Connection.name))]

    def peek(self, name: str) -> ConnectionView | None:
        """A connection read in the last few seconds, without I/O; else ``None``."""
        with self._lock:
            entry = self._views.get(name)
        if entry is not None and time.monotonic() - entry[0] < VIEW_CACHE_SECONDS:
            return entry[1]
        return None

    def get(self, name: str) -> ConnectionView:
        """One connection, without its secrets (remembered briefly: every run asks)."""
        if (view := self.peek(name)) is not None:
            return view
        view = self._view(self._row(name))
        with self._lock:
            self._views[name] = (time.monotonic(), view)
        return view

    def exists(self, name: str) -> bool:
        """Whether a connection of that name exists."""
        with self._db.session() as s:
            return s.scalar(select(Connection.id).where(Connection.name == name)) is not None

    def _row(self, name: str) -> Connection:
        with self._db.session() as s:
            row = s.scalar(select(Connection).where(Connection.name == name))
        if row is None:
            raise ConnectionNotFound(name)
        return row

    def _view(self, row: Connection) -> ConnectionView:
        secrets = self._box.open(row.sealed_secrets) if row.sealed_secrets else {}
        return ConnectionView(
            name=row.name,
            kind=row.kind,
            options=dict(row.options),
            secrets_set=tuple(sorted(k for k, v in secrets.items() if v)),
            timeout_seconds=row.timeout_seconds,
        )

    def options(self, name: str) -> BaseModel:
        """A connection's validated options, secrets included (for the backend only);
        remembered briefly, like :meth:`get`."""
        with self._lock:
            entry = self._options.get(name)
        if entry is not None and time.monotonic() - entry[0] < VIEW_CACHE_SECONDS:
            return entry[1]
        row = self._row(name)
        secrets = self._box.open(row.sealed_secrets) if row.sealed_secrets else {}
        options = _validate(row.kind, {**row.options, **secrets})
        with self._lock:
            self._options[name] = (time.monotonic(), options)
        return options

    def resolve(self, name: str, actor: Actor) -> ConnectionHandle:
        """A connection as ``actor`` runs on it: settings, options, backend and principal
        (blocking; raises ``ConnectionNotFound``, ``AuthorizationRequired``,
        ``IdentityError``)."""
        view = self.get(name)
        backend = backend_class(view.kind)
        options = self.options(name)
        return ConnectionHandle(
            name=name,
            kind=view.kind,
            backend=backend,
            options=options,
            timeout_seconds=view.timeout_seconds,
            principal=self._identity.resolve(actor, name, backend, options),
        )

    def with_stored_secrets(self, name: str, options: dict[str, Any]) -> dict[str, Any]:
        """Options with the secrets left out (or null) taken from a stored connection."""
        row = self._row(name)
        stored = self._box.open(row.sealed_secrets) if row.sealed_secrets else {}
        given = {k: v for k, v in options.items() if v is not None}
        return {**stored, **given}

    # -- writing -------------------------------------------------------------------------
    def _split(self, kind: str, options: BaseModel) -> tuple[dict[str, Any], bytes | None]:
        secret_names = secret_fields(type(options))
        plain = options.model_dump(mode="json", exclude=set(secret_names))
        secrets = {
            n: v.get_secret_value()
            for n in secret_names
            if isinstance(v := getattr(options, n), SecretStr)
        }
        return plain, self._box.seal(secrets) if secrets else None

    def add(
        self, name: str, kind: str, options: dict[str, Any], timeout_seconds: float | None = None
    ) -> ConnectionView:
        """Create a connection after validating its options."""
        if not NAME.match(name):
            raise ConnectionInvalid(
                "a connection name is 1 to 64 letters, digits, '_', '-' or '.', "
                "starting with a letter or digit"
            )
        _check_timeout(timeout_seconds)
        validated = _validate(kind, options)
        plain, sealed = self._split(kind, validated)
        with self._db.session() as s:
            if s.scalar(select(Connection.id).where(Connection.name == name)) is not None:
                raise ConnectionInvalid(f"a connection named {name!r} already exists")
            row = Connection(
                name=name,
                kind=kind,
                options=plain,
                sealed_secrets=sealed,
                timeout_seconds=timeout_seconds,
            )
            s.add(row)
        return self._view(row)

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
        _check_timeout(timeout_seconds)
        row = self._row(name)
        if options is not None:
            stored_secrets = self._box.open(row.sealed_secrets) if row.sealed_secrets else {}
            secret_names = secret_fields(backend_class(row.kind).options_model)
            merged = {**row.options, **stored_secrets}
            for key, value in options.items():
                if not (value is None and key in secret_names):  # None keeps a stored secret
                    merged[key] = value
            plain, sealed = self._split(row.kind, _validate(row.kind, merged))
        with self._db.session() as s:
            stored = s.get(Connection, row.id)
            if stored is None:
                raise ConnectionNotFound(name)
            if options is not None:
                stored.options, stored.sealed_secrets = plain, sealed
            if timeout_seconds is not None or clear_timeout:
                stored.timeout_seconds = timeout_seconds
            row = stored
        self._forget(name)
        return self._view(row)

    def remove(self, name: str) -> None:
        """Delete a connection (its history stays)."""
        with self._db.session() as s:
            row = s.scalar(select(Connection).where(Connection.name == name))
            if row is None:
                raise ConnectionNotFound(name)
            s.delete(row)
        self._forget(name)

    # -- live backends -------------------------------------------------------------------
    def warehouse(self, name: str, principal: Principal = CONNECTION_IDENTITY) -> Warehouse:
        """The live backend of a connection for an identity, created on first use (blocking).
        One backend per identity: no client, cache or session is shared between identities."""
        key = (name, principal.key)
        with self._lock:
            live = self._live.get(key)
            if live is not None:
                self._live.move_to_end(key)
                return live
        row = self._row(name)
        credentials = principal.credentials() if principal.credentials is not None else None
        built = build_warehouse(row.kind, self.options(name), credentials)
        evicted: list[Warehouse] = []
        with self._lock:
            live = self._live.setdefault(key, built)
            while len(self._live) > MAX_LIVE:
                evicted.append(self._live.popitem(last=False)[1])
        if live is not built:
            evicted.append(built)
        for warehouse in evicted:
            warehouse.close()
        return live

    def forget_identity(self, name: str, key_prefix: str) -> None:
        """Drop the backends of identities whose key starts with ``key_prefix`` (a user's
        grant was revoked or deleted)."""
        with self._lock:
            keys = [k for k in self._live if k[0] == name and k[1].startswith(key_prefix)]
            gone = [self._live.pop(k) for k in keys]
        for live in gone:
            live.close()

    def _forget(self, name: str) -> None:
        with self._lock:
            gone = [self._live.pop(k) for k in [k for k in self._live if k[0] == name]]
            self._views.pop(name, None)
            self._options.pop(name, None)
        for live in gone:
            live.close()
        for hook in self.on_change:
            hook(name)

    def close(self) -> None:
        """Close every live backend."""
        with self._lock:
            live, self._live = list(self._live.values()), OrderedDict()
        for warehouse in live:
            warehouse.close()


def build_warehouse(kind: str, options: BaseModel, credentials: Any = None) -> Warehouse:
    """A backend instance for validated options (and an identity's credentials, if any)."""
    cls = backend_class(kind)
    return cls(options, credentials)  # type: ignore[call-arg]


def validate_options(kind: str, options: dict[str, Any]) -> BaseModel:
    """Options checked against the backend's model (for testing unsaved connections)."""
    return _validate(kind, options)


def _check_timeout(timeout_seconds: float | None) -> None:
    if timeout_seconds is not None and not 0 < timeout_seconds <= 24 * 3600:
        raise ConnectionInvalid("a connection's timeout is between 0 and 86400 seconds")
