"""A BigQuery query job, or a direct table read, as a :class:`Query`.

A query is a job with an id chosen before it starts (``belvedere_<run id>``), labelled with the
Belvedere user and surface and capped by ``maximum_bytes_billed``; cancelling it calls
``jobs.cancel`` and closes the gRPC channel of any Storage read, so nothing waits on the
network afterwards. Results stream as Arrow batches: over the Storage Read API where it can be
used, else over REST pages.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import grpc
import pyarrow as pa
from google.api_core import exceptions as api
from google.api_core.retry import Retry
from google.cloud import bigquery
from google.cloud.bigquery import QueryJob, SchemaField, _pandas_helpers
from google.cloud.bigquery.enums import QueryApiMethod
from google.cloud.bigquery.retry import DEFAULT_RETRY
from google.cloud.bigquery.table import RowIterator
from google.cloud.bigquery_storage_v1 import BigQueryReadClient

from belvedere.warehouses.base import Params, Query, QueryContext, QueryCost
from belvedere.warehouses.bigquery.clients import close_storage_client, storage_client
from belvedere.warehouses.bigquery.params import query_parameters
from belvedere.warehouses.bigquery.quirks import label_value
from belvedere.warehouses.bigquery.schema import with_type_metadata
from belvedere.warehouses.errors import ErrorKind, WarehouseError

if TYPE_CHECKING:
    from belvedere.warehouses.bigquery.backend import BigQueryWarehouse

log = logging.getLogger(__name__)

#: Rows per REST page.
PAGE_ROWS = 50_000
#: Table previews up to this many rows read REST pages (no read session to set up).
PREVIEW_ROWS_OVER_REST = 10_000
#: Bound on each network call when a run has no deadline to share.
DEFAULT_CALL_SECONDS = 300.0
#: The least time between two ``jobs.cancel`` calls for one job.
CANCEL_EVERY_SECONDS = 1.0
CANCEL_CALL_SECONDS = 10.0

#: Storage Read API refusals that REST pages can still serve.
STORAGE_REFUSALS = (
    api.NotFound,
    api.PermissionDenied,
    api.Forbidden,
    api.FailedPrecondition,
    api.MethodNotImplemented,
    api.Unauthenticated,
)


def _empty_schema(fields: Sequence[SchemaField]) -> pa.Schema:
    """The Arrow schema of a result without rows (nothing was read to take it from): the
    SDK's mapping of BigQuery types, strings where it has none."""
    arrow: pa.Schema | None = None
    if fields:
        arrow = _pandas_helpers.bq_to_arrow_schema(fields)  # type: ignore[no-untyped-call]
    if arrow is None:
        arrow = pa.schema([pa.field(f.name, pa.string()) for f in fields])
    return with_type_metadata(arrow, fields)


#: gRPC status -> error kind, for failures of the Storage Read API.
GRPC_KINDS: dict[grpc.StatusCode, ErrorKind] = {
    grpc.StatusCode.RESOURCE_EXHAUSTED: ErrorKind.QUOTA,
    grpc.StatusCode.DEADLINE_EXCEEDED: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.UNAVAILABLE: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.INTERNAL: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.UNKNOWN: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.ABORTED: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.DATA_LOSS: ErrorKind.UNAVAILABLE,
    grpc.StatusCode.PERMISSION_DENIED: ErrorKind.ACCESS_DENIED,
    grpc.StatusCode.UNAUTHENTICATED: ErrorKind.ACCESS_DENIED,
    grpc.StatusCode.NOT_FOUND: ErrorKind.NOT_FOUND,
    grpc.StatusCode.CANCELLED: ErrorKind.CANCELLED,
}
#: What each kind of Storage Read API failure says, before the API's own words.
STORAGE_SENTENCES: dict[ErrorKind, str] = {
    ErrorKind.QUOTA: "BigQuery's Storage Read API refused the read (a quota or limit was "
    "reached; try again later)",
    ErrorKind.UNAVAILABLE: "BigQuery's Storage Read API failed to answer",
    ErrorKind.ACCESS_DENIED: "BigQuery's Storage Read API refused access",
    ErrorKind.NOT_FOUND: "BigQuery's Storage Read API did not find the table",
    ErrorKind.CANCELLED: "The read from BigQuery's Storage Read API was cancelled",
}


def storage_api_error(exc: BaseException) -> WarehouseError | None:
    """A failure of the Storage Read API (gRPC) as a sentence and a kind; ``None`` for any
    other error. Its errors carry gRPC call objects where REST ones carry dictionaries."""
    if isinstance(exc, grpc.RpcError) and isinstance(exc, grpc.Call):
        exc = api.from_grpc_error(exc)  # type: ignore[no-untyped-call]
    if not isinstance(exc, api.GoogleAPICallError) or not isinstance(exc.response, grpc.Call):
        return None
    code = exc.grpc_status_code
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        lead = "BigQuery's Storage Read API did not answer in time"
        kind = ErrorKind.UNAVAILABLE
    else:
        kind = GRPC_KINDS.get(code, ErrorKind.INVALID) if code is not None else ErrorKind.INVALID
        lead = STORAGE_SENTENCES.get(kind, "BigQuery's Storage Read API refused the read")
    details = (exc.message or (code.name if code is not None else "")).strip().rstrip(".")
    return WarehouseError(kind, f"{lead}: {details}." if details else f"{lead}.")


def labels(context: QueryContext) -> dict[str, str]:
    """Job labels saying who ran what from where."""
    found = {"belvedere": "true"}
    for key, value in (
        ("user", context.user),
        ("surface", context.surface),
        ("run", context.run_id),
    ):
        if value:
            found[f"belvedere_{key}"] = label_value(value)
    return found


class _StreamingRead(Query):
    """What queries and table reads share: a Storage client to close on cancel, streaming."""

    def __init__(self, warehouse: BigQueryWarehouse, context: QueryContext | None) -> None:
        self._warehouse = warehouse
        self._context = context or QueryContext()
        self._cancelled = threading.Event()
        self._storage: BigQueryReadClient | None = None
        self._lock = threading.Lock()

    @property
    def _timeout(self) -> float:
        return self._context.timeout_seconds or DEFAULT_CALL_SECONDS

    @property
    def _retry(self) -> Retry:
        """The SDK's retries (5xx, resets), but never past the run's deadline, nor once the run
        was cancelled."""
        retryable = DEFAULT_RETRY._predicate

        def still_wanted(exc: Exception) -> bool:
            return not self._stopping() and bool(retryable(exc))

        return DEFAULT_RETRY.with_timeout(self._timeout).with_predicate(still_wanted)

    def _stopping(self) -> bool:
        return self._cancelled.is_set() or self._context.must_stop()

    def _check_cancelled(self) -> None:
        if self._stopping():
            raise WarehouseError(ErrorKind.CANCELLED, "query cancelled")

    def _open_storage(self) -> BigQueryReadClient | None:
        if not self._warehouse.options.use_storage_api:
            return None
        client = storage_client(self._warehouse.options, self._warehouse.credentials())
        with self._lock:
            self._storage = client
        if self._cancelled.is_set():
            self._close_storage()
        return client

    def _close_storage(self) -> None:
        with self._lock:
            client, self._storage = self._storage, None
        if client is not None:
            close_storage_client(client)

    def _stream(
        self,
        rows: RowIterator,
        again: Callable[[], RowIterator] | None,
        storage: BigQueryReadClient | None,
    ) -> pa.RecordBatchReader:
        """Arrow batches of ``rows``; if the Storage API refuses before the first batch, the
        rows come from ``again()`` (a fresh iterator of the same result) over REST."""
        batches = iter(rows.to_arrow_iterable(bqstorage_client=storage))
        try:
            first = next(batches, None)
        except STORAGE_REFUSALS as exc:
            if storage is None or again is None:
                raise
            log.info("Storage Read API refused (%s); reading REST pages", type(exc).__name__)
            self._close_storage()
            rows = again()
            batches = iter(rows.to_arrow_iterable())
            first = next(batches, None)
        if first is None:  # no rows (for this caller): the columns still come back
            return pa.RecordBatchReader.from_batches(_empty_schema(rows.schema), [])
        schema = with_type_metadata(first.schema, rows.schema)

        def all_batches() -> Iterator[pa.RecordBatch]:
            yield pa.RecordBatch.from_arrays(first.columns, schema=schema)
            for batch in batches:
                self._check_cancelled()
                yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)

        return pa.RecordBatchReader.from_batches(schema, all_batches())

    def close(self) -> None:
        self._close_storage()


class BigQueryQuery(_StreamingRead):
    """One query job."""

    def __init__(
        self, warehouse: BigQueryWarehouse, sql: str, params: Params, context: QueryContext | None
    ) -> None:
        super().__init__(warehouse, context)
        self._sql = sql
        self._params = params
        run = self._context.run_id or uuid.uuid4().hex
        self.job_id = f"belvedere_{run}"
        self._job: QueryJob | None = None
        self._cancel_sent = False
        self._last_cancel = 0.0

    def job_config(self) -> bigquery.QueryJobConfig:
        """The job's configuration: labels, byte cap, default dataset, parameters."""
        options = self._warehouse.options
        config = bigquery.QueryJobConfig(
            labels=labels(self._context),
            query_parameters=query_parameters(self._params),
            use_legacy_sql=False,
        )
        cap = self._context.max_bytes_billed or options.maximum_bytes_billed
        if cap:
            config.maximum_bytes_billed = cap
        if options.default_dataset:
            config.default_dataset = f"{options.project}.{options.default_dataset}"
        return config

    def run(self) -> pa.RecordBatchReader:
        self._check_cancelled()
        client = self._warehouse.client()
        options = self._warehouse.options
        job = client.query(
            self._sql,
            job_config=self.job_config(),
            job_id=self.job_id,
            project=options.job_project,
            location=options.location,
            timeout=self._timeout,
            retry=self._retry,
            job_retry=None,
            api_method=QueryApiMethod.INSERT,
        )
        self._job = job
        rows = self._result(job)
        self._check_cancelled()
        if not rows.schema:  # a statement without a result (DDL, DML)
            return pa.RecordBatchReader.from_batches(pa.schema([]), [])
        # A result that fits one REST page is read from it: a Storage read would cost a gRPC
        # channel and a read session for nothing (the SDK would not use it anyway).
        small = rows.total_rows is not None and rows.total_rows <= PAGE_ROWS
        storage = None if small else self._open_storage()
        return self._stream(rows, lambda: self._result(job), storage)

    def _result(self, job: QueryJob) -> RowIterator:
        rows: RowIterator = job.result(
            page_size=PAGE_ROWS, timeout=self._timeout, retry=self._retry, job_retry=None
        )
        return rows

    def cost(self) -> QueryCost:
        job = self._job
        if job is None:
            return QueryCost(job_id=self.job_id)
        return QueryCost(
            bytes_processed=job.total_bytes_processed,
            bytes_billed=job.total_bytes_billed,
            job_id=self.job_id,
        )

    def cancel(self) -> None:
        self._cancelled.set()
        self._close_storage()
        now = time.monotonic()
        if self._cancel_sent or now - self._last_cancel < CANCEL_EVERY_SECONDS:
            return
        self._last_cancel = now
        options = self._warehouse.options
        try:
            self._warehouse.client().cancel_job(
                self.job_id,
                project=options.job_project,
                location=options.location,
                timeout=CANCEL_CALL_SECONDS,
                retry=DEFAULT_RETRY.with_timeout(CANCEL_CALL_SECONDS),
            )
        except api.NotFound:
            return  # not created yet: the next attempt will find it
        except Exception as exc:
            log.warning("jobs.cancel of %s failed: %s", self.job_id, exc)
            return
        self._cancel_sent = True


class BigQueryTableRead(_StreamingRead):
    """A table's rows read directly: no query, so no query bytes billed."""

    def __init__(
        self,
        warehouse: BigQueryWarehouse,
        dataset: str,
        table: str,
        max_rows: int | None,
        context: QueryContext | None,
    ) -> None:
        super().__init__(warehouse, context)
        self._ref = f"{warehouse.options.project}.{dataset}.{table}"
        self._max_rows = max_rows

    def run(self) -> pa.RecordBatchReader:
        self._check_cancelled()
        client = self._warehouse.client()
        table = client.get_table(self._ref, timeout=self._timeout, retry=self._retry)
        if table.table_type not in ("TABLE", "SNAPSHOT", "MATERIALIZED_VIEW", None):
            raise WarehouseError(
                ErrorKind.INVALID,
                f"{self._ref} is a {table.table_type.lower()}: it has no stored rows to read "
                "directly; query it instead.",
            )
        if self._max_rows is not None and self._max_rows <= PREVIEW_ROWS_OVER_REST:
            rows = client.list_rows(
                table, max_results=self._max_rows, timeout=self._timeout, retry=self._retry
            )
            return self._stream(rows, None, None)
        storage = self._open_storage()

        def listing() -> RowIterator:
            return client.list_rows(
                table, page_size=PAGE_ROWS, timeout=self._timeout, retry=self._retry
            )

        return self._stream(listing(), listing, storage)

    def cancel(self) -> None:
        self._cancelled.set()
        self._close_storage()
