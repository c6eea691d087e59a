"""The interface every warehouse backend implements, and its optional capabilities.

Required: run a query (:meth:`Warehouse.query`), list schemas and tables, describe a table,
translate errors, close. Optional capabilities are small protocols checked with
``isinstance``: :class:`Cancellable` and :class:`ReportsCost` queries; :class:`BulkCatalog`,
:class:`CostEstimator` and :class:`TableReader` warehouses; :class:`PerUserIdentity` on a
warehouse *class* (who a query runs as). Quirks (SQL dialect, error table, test query) are
data on the class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import pyarrow as pa
from pydantic import BaseModel

from belvedere.warehouses.errors import ErrorRule

if TYPE_CHECKING:
    from belvedere.settings import Settings

#: Query parameters: positional or named, as the backend's SQL expects.
Params = Sequence[Any] | Mapping[str, Any] | None

#: Arrow field metadata key holding the warehouse's own name of a column's type.
TYPE_METADATA_KEY = b"belvedere.type"


@dataclass(frozen=True)
class Quirks:
    """What differs between warehouses, as data."""

    dialect: str
    """SQLGlot dialect name."""
    test_sql: str = "SELECT 1"
    """A cheap query that proves the connection works."""
    error_rules: tuple[ErrorRule, ...] = ()
    """Message patterns mapped to error kinds, first match wins."""
    default_schema: str | None = None


@dataclass(frozen=True)
class QueryProgress:
    """How far a running query got, as the warehouse reports it while it runs."""

    bytes_processed: int | None = None
    slot_ms: int | None = None
    """Slot time used so far, in milliseconds (BigQuery's ``totalSlotMs``)."""


@dataclass(frozen=True)
class QueryContext:
    """Who runs a query and under which limits; backends use what they can (job labels, caps)."""

    run_id: str = ""
    user: str = ""
    surface: str = ""
    max_bytes_billed: int | None = None
    """A byte cap the warehouse itself should enforce, if it can."""
    timeout_seconds: float | None = None
    """Time left until the run's deadline, to bound each network call."""
    stopped: Callable[[], bool] | None = None
    """Whether the run must stop (cancelled, past its deadline): cheap to call, and a reason
    not to retry or go on."""
    on_job: Callable[[str], None] | None = None
    """Hears the warehouse's id of the query's job as soon as it is known while the query
    still runs, so that another process can stop the job if this one dies."""
    on_progress: Callable[[QueryProgress], None] | None = None
    """Hears how far the query got while it runs (each time the warehouse says more); called
    on the query's own thread, so it must be quick."""

    def must_stop(self) -> bool:
        return self.stopped is not None and self.stopped()


@dataclass(frozen=True)
class ColumnInfo:
    """A column of a table or view; nested fields (STRUCT/RECORD) in ``fields``."""

    name: str
    type: str
    nullable: bool = True
    description: str = ""
    mode: str = ""
    """``REPEATED`` for arrays (BigQuery's modes), else empty."""
    fields: tuple[ColumnInfo, ...] = ()
    partitioning: bool = False
    clustering: int | None = None
    """1-based position among the clustering columns, if the table is clustered by it."""


@dataclass(frozen=True)
class TableInfo:
    """A table or view, with its columns when they were loaded."""

    schema: str
    name: str
    kind: str = "table"
    description: str = ""
    columns: tuple[ColumnInfo, ...] = field(default=())
    row_count: int | None = None
    size_bytes: int | None = None

    @property
    def partitioned_by(self) -> str | None:
        """The partitioning column, if any."""
        return next((c.name for c in self.columns if c.partitioning), None)

    @property
    def clustered_by(self) -> tuple[str, ...]:
        """Clustering columns, in order."""
        ranked = sorted((c.clustering, c.name) for c in self.columns if c.clustering)
        return tuple(name for _, name in ranked)


@dataclass(frozen=True)
class SchemaInfo:
    """A schema (BigQuery: dataset) with its tables, or the reason it could not be read."""

    name: str
    tables: tuple[TableInfo, ...] = ()
    error: str | None = None


class Query(ABC):
    """One statement on its own session of the warehouse.

    Create it cheaply (no I/O), then call :meth:`run` on a worker thread. A query that is also
    :class:`Cancellable` can be stopped from any other thread while it runs.
    """

    @abstractmethod
    def run(self) -> pa.RecordBatchReader:
        """Execute and return the result as a stream of Arrow record batches (blocking)."""

    @abstractmethod
    def close(self) -> None:
        """Release the session. Safe to call more than once."""


@runtime_checkable
class Cancellable(Protocol):
    """Optional capability of a :class:`Query`: stop it in the warehouse."""

    def cancel(self) -> None:
        """Ask the warehouse to stop this query; thread-safe, returns without waiting."""


@dataclass(frozen=True)
class QueryCost:
    """What a finished query cost in the warehouse."""

    bytes_processed: int | None = None
    bytes_billed: int | None = None
    job_id: str | None = None


@runtime_checkable
class ReportsCost(Protocol):
    """Optional capability of a :class:`Query`: its cost once it has run."""

    def cost(self) -> QueryCost:
        """Bytes processed and billed, and the warehouse's job id (blocking-free)."""


@runtime_checkable
class StopsLostJobs(Protocol):
    """Optional capability of a :class:`Warehouse` whose jobs outlive their client: stop the
    job of a run whose process died or whose start was never answered."""

    def stop_lost_job(self, run_id: str, job_id: str | None, since: datetime) -> None:
        """Cancel the run's job: by ``job_id`` when it was recorded, else the job labelled
        with the run and created after ``since`` (blocking, best effort)."""


@runtime_checkable
class BulkCatalog(Protocol):
    """Optional capability of a :class:`Warehouse`: tables and columns of schemas in bulk."""

    def load_catalog(self, schemas: Sequence[str] | None = None) -> list[SchemaInfo]:
        """Every table of the given schemas (all when ``None``), with columns; a schema that
        cannot be read carries its ``error`` instead of failing the others."""


@runtime_checkable
class CatalogOutline(Protocol):
    """Optional capability of a :class:`BulkCatalog` warehouse whose bulk load is slow: its
    schemas and their tables without columns, quickly (listings, not metadata queries)."""

    def load_outline(self) -> list[SchemaInfo]:
        """Every schema's tables, no columns; a schema whose listing fails carries its
        ``error``. Raises when the schemas themselves cannot be listed."""


@runtime_checkable
class CostEstimator(Protocol):
    """Optional capability of a :class:`Warehouse`: what a query would process (dry run)."""

    def estimate(self, sql: str, params: Params = None, context: QueryContext | None = None) -> int:
        """Bytes the query would process, without running it (blocking)."""


@runtime_checkable
class TableReader(Protocol):
    """Optional capability of a :class:`Warehouse`: read a table directly, without a query
    (so it costs no query bytes)."""

    def read_table(
        self,
        schema: str,
        table: str,
        max_rows: int | None = None,
        context: QueryContext | None = None,
    ) -> Query:
        """A query-like reader of the table's rows; nothing runs until :meth:`Query.run`."""


class IdentityMode(StrEnum):
    """Whose identity a connection's queries run as."""

    CONNECTION = "connection"
    """The connection's own credentials, shared by everyone who uses it."""
    USER_GRANT = "user_grant"
    """Each user's own grant (OAuth2 refresh token), given once per connection."""
    IMPERSONATION = "impersonation"
    """An account impersonated for each user, minted with the connection's credentials."""


@dataclass(frozen=True)
class UserAuthorization:
    """What a user's authorization of a connection asks the provider for (authorization code
    with PKCE; the refresh token it yields is the user's grant)."""

    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str | None
    scopes: tuple[str, ...]
    params: Mapping[str, str] = field(default_factory=dict)
    """Extra parameters of the authorization request, e.g. those asking for offline access."""


@dataclass(frozen=True)
class Impersonation:
    """The account a user acts as: ``target`` (one backend per target), ``name`` for the audit
    log, and a factory of its credentials (called when a backend is built)."""

    target: str
    name: str
    credentials: Callable[[], Any]


@runtime_checkable
class PerUserIdentity(Protocol):
    """Optional capability of a :class:`Warehouse` *class*: queries may run as each user, by
    their own grant or by impersonation. Checked with ``isinstance(backend_class, ...)``.

    Everything provider-specific (endpoints, scopes, credentials, member names) is here, so
    ``belvedere.identity`` resolves principals from this alone; a new warehouse with OAuth
    implements these methods and nothing in ``identity/`` changes. ``settings`` is passed in
    for backends whose endpoints are settings; methods may block (they run off the loop).
    """

    identity_modes: ClassVar[frozenset[IdentityMode]]
    """The modes this backend supports."""
    identity_provider: ClassVar[str]
    """Whose accounts users connect, as they know it (e.g. "Connect your Google account")."""

    @classmethod
    def identity_mode(cls, options: BaseModel) -> IdentityMode:
        """The mode the connection's options choose."""

    @classmethod
    def user_authorization(cls, options: BaseModel, settings: Settings) -> UserAuthorization:
        """Provider, endpoints, client, scopes and extra parameters of a user's authorization;
        raises ``IdentityError`` when the connection has no OAuth client."""

    @classmethod
    def grant_credentials(
        cls, grant: Mapping[str, Any], options: BaseModel, settings: Settings
    ) -> Callable[[], Any]:
        """A factory of credentials from a stored grant (``refresh_token``, ``scope``)."""

    @classmethod
    def grant_name(cls, email: str) -> str:
        """The name the audit log shows for a user's grant, from their verified e-mail."""

    @classmethod
    def impersonation(
        cls,
        options: BaseModel,
        email: str | None,
        groups: Sequence[str],
        connection: str,
        settings: Settings,
    ) -> Impersonation:
        """The account ``email`` (verified) or one of ``groups`` acts as; raises
        ``IdentityError`` with the reason when there is none."""


class Warehouse(ABC):
    """A configured connection to one warehouse, shared by worker threads."""

    kind: ClassVar[str]
    """Registry name, e.g. ``duckdb``."""
    label: ClassVar[str]
    """Human name, e.g. ``DuckDB``."""
    options_model: ClassVar[type[BaseModel]]
    """Pydantic model of the connection's options; ``SecretStr`` fields are stored encrypted."""
    quirks: ClassVar[Quirks]
    embedded: ClassVar[bool] = False
    """Runs inside this process (CPU-bound) rather than on a server Belvedere waits for."""

    @abstractmethod
    def query(self, sql: str, params: Params = None, context: QueryContext | None = None) -> Query:
        """Prepare one statement; nothing runs until :meth:`Query.run`."""

    @abstractmethod
    def list_schemas(self) -> list[str]:
        """Names of the schemas (datasets) the connection can see."""

    @abstractmethod
    def list_tables(self, schema: str) -> list[TableInfo]:
        """Tables and views of a schema, without columns."""

    @abstractmethod
    def describe(self, schema: str, table: str) -> TableInfo:
        """A table with its columns; raises ``WarehouseError(NOT_FOUND)`` if absent."""

    @abstractmethod
    def translate_error(self, exc: Exception, sql: str | None = None) -> Exception:
        """Turn a driver exception into a :class:`WarehouseError` (or return it unchanged)."""

    def byte_cap(self) -> int | None:
        """The connection's cap on bytes billed per query, if the warehouse bills by bytes."""
        return None

    def test(self) -> None:
        """Run the backend's test query; raise ``WarehouseError`` if it fails."""
        q = self.query(self.quirks.test_sql)
        try:
            q.run().read_all()
        except Exception as exc:
            raise self.translate_error(exc, self.quirks.test_sql) from exc
        finally:
            q.close()

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release pooled sessions."""


def group_by_schema(tables: Sequence[TableInfo]) -> list[SchemaInfo]:
    """Tables grouped into schemas, in order of first appearance."""
    grouped: dict[str, list[TableInfo]] = {}
    for table in tables:
        grouped.setdefault(table.schema, []).append(table)
    return [SchemaInfo(name, tuple(items)) for name, items in grouped.items()]
