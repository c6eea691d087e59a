"""A BigQuery query job, or a direct table read, as a :class:`Query`.

A query is one ``jobs.query`` call (see :mod:`.jobs_query`), labelled with the Belvedere user,
surface and run and capped by ``maximum_bytes_billed``; BigQuery names its job. Cancelling it
calls ``jobs.cancel`` as soon as the job's id is known and closes the gRPC channel of any
Storage read, so nothing waits on the network afterwards. Results stream as Arrow batches: over
the Storage Read API where it can be used, else over REST pages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from google.api_core import exceptions as api
from google.api_core.retry import Retry
from google.cloud import bigquery
from google.cloud.bigquery import QueryJob, SchemaField, _pandas_helpers
from google.cloud.bigquery.retry import DEFAULT_RETRY
from google.cloud.bigquery.table import RowIterator
from google.cloud.bigquery_storage_v1 import BigQueryReadClient

from belvedere.warehouses.base import Params, Query, QueryContext, QueryCost, QueryProgress
from belvedere.warehouses.bigquery.clients import close_storage_client, storage_client
from belvedere.warehouses.bigquery.jobs_query import (
    FIRST_WAIT_SECONDS,
    bytes_billed,
    progress_of,
    run_jobs_query,
)
from belvedere.warehouses.bigquery.lost_jobs import may_have_started, stop_in_background
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
        self._job_id: str | None = None
        self._bytes_billed: int | None = None
        self._rows: RowIterator | None = None
        self._cancel_sent = False
        self._last_cancel = 0.0
        self._progress: QueryProgress | None = None

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
        options = self._warehouse.options
        sent = datetime.now(UTC)
        # One jobs.query call: the first page comes back in it. A query still running after
        # the first wait answers with its job id (so a cancel can reach it), then is waited for.
        try:
            rows = run_jobs_query(
                self._warehouse.client(),
                self._sql,
                job_config=self.job_config(),
                project=options.job_project,
                location=options.location,
                first_wait=min(FIRST_WAIT_SECONDS, self._timeout),
                wait=self._timeout,
                retry=self._retry,
                page_size=PAGE_ROWS,
                on_job=self._running_job,
                heard=self._heard,
            )
        except Exception as exc:
            if self._job_id is None and self._context.run_id and may_have_started(exc):
                stop_in_background(self._warehouse, self._context.run_id, sent)
            raise
        self._rows = rows
        self._learn_job(rows.job_id)
        self._check_cancelled()
        if not rows.schema:  # a statement without a result (DDL, DML)
            return pa.RecordBatchReader.from_batches(pa.schema([]), [])
        # A result that fits one REST page is read from it: a Storage read would cost a gRPC
        # channel and a read session for nothing (the SDK would not use it anyway).
        small = rows.total_rows is not None and rows.total_rows <= PAGE_ROWS
        storage = None if small else self._open_storage()
        return self._stream(rows, self._rows_again, storage)

    def _rows_again(self) -> RowIterator:
        """The result once more, over REST (the Storage API refused it): from the job."""
        options = self._warehouse.options
        job = self._warehouse.client().get_job(
            self._job_id or "",
            project=options.job_project,
            location=options.location,
            timeout=self._timeout,
            retry=self._retry,
        )
        assert isinstance(job, QueryJob)
        rows: RowIterator = job.result(
            page_size=PAGE_ROWS, timeout=self._timeout, retry=self._retry, job_retry=None
        )
        return rows

    def _running_job(self, job_id: str) -> None:
        """The query runs on after the first call: its job id, told to whoever may have to
        stop it from elsewhere."""
        self._learn_job(job_id)
        if self._context.on_job is not None:
            self._context.on_job(job_id)

    def _learn_job(self, job_id: str | None) -> None:
        """BigQuery named the job: remember it, and cancel it if the run was cancelled before."""
        if job_id is None:
            return
        with self._lock:
            known, self._job_id = self._job_id, job_id
        if known is None and self._cancelled.is_set():
            self._send_cancel()

    def _heard(self, answer: dict[str, Any]) -> None:
        billed = bytes_billed(answer)
        if billed is not None:
            self._bytes_billed = billed
        self._tell_progress(progress_of(answer))

    def _tell_progress(self, found: QueryProgress | None) -> None:
        """Pass on how far the query got, when an answer says more than the last one (the
        wait's ``jobs.get`` polls, while the query runs)."""
        listener = self._context.on_progress
        if found is None or listener is None or found == self._progress:
            return
        known = self._progress or QueryProgress()
        found = QueryProgress(  # an answer that leaves a count out keeps the last one
            bytes_processed=found.bytes_processed
            if found.bytes_processed is not None
            else known.bytes_processed,
            slot_ms=found.slot_ms if found.slot_ms is not None else known.slot_ms,
        )
        if found == self._progress:
            return
        self._progress = found
        try:
            listener(found)
        except Exception:
            log.exception("a progress listener failed")

    @property
    def job_id(self) -> str | None:
        """BigQuery's id of the job, once known."""
        return self._job_id

    def cost(self) -> QueryCost:
        rows = self._rows
        return QueryCost(
            bytes_processed=rows.total_bytes_processed if rows is not None else None,
            bytes_billed=self._bytes_billed,
            job_id=self._job_id,
        )

    def cancel(self) -> None:
        self._cancelled.set()
        self._close_storage()
        # Before run() nothing was started; while jobs.query is in flight the id is unknown,
        # and _learn_job cancels the job the moment its answer names it.
        if self._job_id is not None:
            self._send_cancel()

    def _send_cancel(self) -> None:
        now = time.monotonic()
        job_id = self._job_id
        if job_id is None or self._cancel_sent or now - self._last_cancel < CANCEL_EVERY_SECONDS:
            return
        self._last_cancel = now
        options = self._warehouse.options
        try:
            self._warehouse.client().cancel_job(
                job_id,
                project=options.job_project,
                location=options.location,
                timeout=CANCEL_CALL_SECONDS,
                retry=DEFAULT_RETRY.with_timeout(CANCEL_CALL_SECONDS),
            )
        except api.NotFound:
            return  # not visible yet: the next attempt will find it
        except Exception as exc:
            log.warning("jobs.cancel of %s failed: %s", job_id, exc)
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
