"""The BigQuery backend: a REST client per connection, jobs for queries, bulk catalogs."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar

import requests
from google.api_core import exceptions as api
from google.auth import exceptions as auth_errors
from google.auth.credentials import Credentials
from google.cloud import bigquery
from pydantic import BaseModel

from belvedere.warehouses.base import (
    ColumnInfo,
    Params,
    Query,
    QueryContext,
    SchemaInfo,
    TableInfo,
    Warehouse,
)
from belvedere.warehouses.bigquery import catalog, lost_jobs
from belvedere.warehouses.bigquery.clients import credentials_for, rest_client
from belvedere.warehouses.bigquery.identity import BigQueryIdentity, auth_reason, token_refusal
from belvedere.warehouses.bigquery.options import BigQueryOptions
from belvedere.warehouses.bigquery.query import (
    DEFAULT_CALL_SECONDS,
    BigQueryQuery,
    BigQueryTableRead,
    labels,
)
from belvedere.warehouses.bigquery.quirks import POSITION, QUIRKS, REASON_KINDS
from belvedere.warehouses.bigquery.schema import columns_of_fields
from belvedere.warehouses.bigquery.storage_errors import storage_api_error
from belvedere.warehouses.errors import ErrorKind, WarehouseError, classify

METADATA_SURFACE = "catalog"


class BigQueryWarehouse(BigQueryIdentity, Warehouse):
    """A BigQuery project; queries run as the connection, each user, or impersonated."""

    kind: ClassVar[str] = "bigquery"
    label: ClassVar[str] = "Google BigQuery"
    options_model: ClassVar[type[BaseModel]] = BigQueryOptions
    quirks = QUIRKS

    def __init__(self, options: BigQueryOptions, credentials: Credentials | None = None) -> None:
        self.options = options
        self._credentials: Credentials | None = credentials
        """An identity's credentials (users, impersonation); else the connection's own."""
        self._client: bigquery.Client | None = None
        self._lock = threading.Lock()

    def credentials(self) -> Credentials:
        """The connection's credentials, made once (Application Default ones are looked up)."""
        with self._lock:
            if self._credentials is None:
                try:
                    self._credentials = credentials_for(self.options)
                except auth_errors.DefaultCredentialsError as exc:
                    raise WarehouseError(
                        ErrorKind.ACCESS_DENIED,
                        "No Application Default Credentials on the server: set "
                        "GOOGLE_APPLICATION_CREDENTIALS, or give this connection a "
                        f"service-account key. ({exc})",
                    ) from None
            return self._credentials

    def client(self) -> bigquery.Client:
        """The shared REST client."""
        credentials = self.credentials()
        with self._lock:
            if self._client is None:
                self._client = rest_client(self.options, credentials)
            return self._client

    def byte_cap(self) -> int | None:
        return self.options.maximum_bytes_billed

    # -- running -------------------------------------------------------------------------
    def query(
        self, sql: str, params: Params = None, context: QueryContext | None = None
    ) -> BigQueryQuery:
        return BigQueryQuery(self, sql, params, context)

    def read_table(
        self,
        schema: str,
        table: str,
        max_rows: int | None = None,
        context: QueryContext | None = None,
    ) -> Query:
        """Read a table's rows directly (Storage Read API, or tabledata.list for previews)."""
        return BigQueryTableRead(self, schema, table, max_rows, context)

    def estimate(self, sql: str, params: Params = None, context: QueryContext | None = None) -> int:
        """Bytes the query would process: a dry run (free, starts nothing)."""
        probe = BigQueryQuery(self, sql, params, context)
        config = probe.job_config()
        config.dry_run = True
        config.use_query_cache = False
        try:
            job = self.client().query(
                sql,
                job_config=config,
                project=self.options.job_project,
                location=self.options.location,
                timeout=(context.timeout_seconds if context else None) or DEFAULT_CALL_SECONDS,
            )
        except Exception as exc:
            raise self.translate_error(exc, sql) from exc
        return int(job.total_bytes_processed or 0)

    def stop_lost_job(self, run_id: str, job_id: str | None, since: datetime) -> None:
        """Cancel a run's job that no process waits for (its worker died, or the answer that
        named it was lost)."""
        options = self.options
        lost_jobs.stop_lost_job(
            self.client(),
            run_id,
            job_id,
            since,
            project=options.job_project,
            location=options.location,
        )

    # -- catalog -------------------------------------------------------------------------
    def _metadata_rows(self, sql: str) -> list[dict[str, Any]]:
        config = bigquery.QueryJobConfig(
            labels=labels(QueryContext(surface=METADATA_SURFACE)), use_legacy_sql=False
        )
        if self.options.maximum_bytes_billed:
            config.maximum_bytes_billed = self.options.maximum_bytes_billed
        rows = self.client().query_and_wait(  # one jobs.query call for a short query
            sql,
            job_config=config,
            project=self.options.job_project,
            location=self.options.location,
            api_timeout=DEFAULT_CALL_SECONDS,
            wait_timeout=DEFAULT_CALL_SECONDS,
        )
        return [dict(row.items()) for row in rows]

    def _explain(self, exc: Exception) -> str:
        translated = self.translate_error(exc)
        return translated.message if isinstance(translated, WarehouseError) else str(exc)

    def list_schemas(self) -> list[str]:
        try:
            datasets = self.client().list_datasets(
                self.options.project, timeout=DEFAULT_CALL_SECONDS
            )
            return sorted(d.dataset_id for d in datasets)
        except Exception as exc:
            raise self.translate_error(exc) from exc

    def list_tables(self, schema: str) -> list[TableInfo]:
        try:
            listed = self.client().list_tables(
                f"{self.options.project}.{schema}",
                page_size=catalog.TABLES_PAGE,
                timeout=DEFAULT_CALL_SECONDS,
            )
            return [TableInfo(schema, t.table_id, catalog.table_kind(t.table_type)) for t in listed]
        except Exception as exc:
            raise self.translate_error(exc) from exc

    def describe(self, schema: str, table: str) -> TableInfo:
        try:
            found = self.client().get_table(
                f"{self.options.project}.{schema}.{table}", timeout=DEFAULT_CALL_SECONDS
            )
        except Exception as exc:
            raise self.translate_error(exc) from exc
        partition = found.time_partitioning.field if found.time_partitioning else None
        if found.range_partitioning is not None:
            partition = found.range_partitioning.field
        clustering = found.clustering_fields or []
        columns = tuple(_placed(c, partition, clustering) for c in columns_of_fields(found.schema))
        return TableInfo(
            schema=schema,
            name=table,
            kind=catalog.table_kind(found.table_type),
            description=found.description or "",
            columns=columns,
            row_count=found.num_rows,
            size_bytes=found.num_bytes,
        )

    def load_outline(self) -> list[SchemaInfo]:
        """Every dataset's tables, no columns: ``datasets.list``, then ``tables.list`` (paged)
        per dataset, the datasets in parallel."""
        return catalog.outline(self.list_schemas(), self.list_tables, self._explain)

    def load_catalog(self, schemas: Sequence[str] | None = None) -> list[SchemaInfo]:
        """Every dataset's tables and columns from INFORMATION_SCHEMA, datasets in parallel."""
        datasets = list(schemas) if schemas is not None else self.list_schemas()
        return catalog.load_datasets(
            self.options.project, datasets, self._metadata_rows, self._explain
        )

    # -- errors --------------------------------------------------------------------------
    def translate_error(self, exc: Exception, sql: str | None = None) -> Exception:
        if isinstance(exc, WarehouseError):
            return exc
        if (storage := storage_api_error(exc)) is not None:
            return storage
        if isinstance(exc, api.GoogleAPICallError):
            found_errors = [e for e in exc.errors or () if isinstance(e, dict)]
            first: dict[str, Any] = found_errors[0] if found_errors else {}
            message = str(first.get("message") or exc.message)
            found = classify(message, self.quirks.error_rules)
            kind = (
                found[0] if found else REASON_KINDS.get(str(first.get("reason")), _by_status(exc))
            )
            position = POSITION.search(message)
            line = int(position["line"]) if position else None
            column = int(position["column"]) if position else None
            return WarehouseError(kind, message, line=line, column=column)
        if isinstance(exc, requests.Timeout | TimeoutError | api.RetryError):
            return WarehouseError(
                ErrorKind.UNAVAILABLE, f"BigQuery did not answer in time ({exc})."
            )
        if isinstance(exc, requests.ConnectionError):
            where = self.options.api_endpoint or "bigquery.googleapis.com"
            return WarehouseError(ErrorKind.UNAVAILABLE, f"Cannot reach BigQuery at {where}: {exc}")
        if isinstance(exc, auth_errors.RefreshError) and "invalid_grant" in str(exc):
            return WarehouseError(
                ErrorKind.AUTHORIZATION,
                "Your Google authorization for this connection expired or was revoked: "
                "connect your Google account again.",
            )
        if isinstance(exc, auth_errors.TransportError):
            return WarehouseError(
                ErrorKind.UNAVAILABLE,
                f"Google could not be reached for an access token: {auth_reason(exc)}",
            )
        if isinstance(exc, auth_errors.RefreshError):
            return WarehouseError(ErrorKind.ACCESS_DENIED, token_refusal(exc, self._credentials))
        return exc

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]


def _by_status(exc: api.GoogleAPICallError) -> ErrorKind:
    if isinstance(exc, api.Forbidden | api.Unauthorized):
        return ErrorKind.ACCESS_DENIED
    if isinstance(exc, api.NotFound):
        return ErrorKind.NOT_FOUND
    if isinstance(exc, api.TooManyRequests):
        return ErrorKind.QUOTA
    if isinstance(exc, api.ServerError):
        return ErrorKind.UNAVAILABLE
    return ErrorKind.INVALID


def _placed(column: ColumnInfo, partition: str | None, clustering: list[str]) -> ColumnInfo:
    position = clustering.index(column.name) + 1 if column.name in clustering else None
    return replace(column, partitioning=column.name == partition, clustering=position)
