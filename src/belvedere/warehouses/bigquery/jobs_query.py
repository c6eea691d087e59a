"""A query in one ``jobs.query`` call, with its job id reported as soon as BigQuery names it.

``jobs.query`` answers with the first page of rows when the query ends within the request's
``timeoutMs``; a longer query answers with its job reference and is then waited for (and
cancelled by the SDK if the wait fails). BigQuery, not Belvedere, names the job, so whoever
may cancel it needs the id the moment it comes back: the SDK's public ``query_and_wait`` takes
no callback, its private helper does (it reports a ``QueryReceivedEvent`` before waiting).
The SDK sends a ``requestId`` with the call and keeps it across its transport retries, so a
retried call whose first answer was lost does not start a second job.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from google.api_core.retry import Retry
from google.cloud import bigquery
from google.cloud.bigquery.table import RowIterator

from belvedere.warehouses.base import QueryProgress

#: How long the first call waits for the query to end before answering with the job's id.
FIRST_WAIT_SECONDS = 2.0

#: Hears each JSON answer of the query's API calls (``jobs.query``, ``jobs.get``, pages).
Listener = Callable[[dict[str, Any]], None]


class _ObservedClient:
    """The client as the SDK's helper sees it, for two things the SDK does not offer.

    Each API call goes through :meth:`_call_api` here (the client's own methods are bound to
    this object), so that its answer is heard: ``jobs.query`` and ``jobs.get`` tell the bytes
    billed, which the SDK's row iterator drops. And the ``jobs.query`` call's HTTP timeout is
    the run's time left: the SDK derives the call's server-side wait (``timeoutMs``) and its
    HTTP timeout from one number, 0.25 s apart, so a short wait would time out every answer
    that takes longer on the network (a 10 MB first page, a slow link).
    """

    def __init__(self, client: bigquery.Client, http_timeout: float, heard: Listener) -> None:
        self._client = client
        self._http_timeout = http_timeout
        self._heard = heard

    def __getattr__(self, name: str) -> Any:
        method = getattr(type(self._client), name, None)
        if isinstance(method, types.FunctionType):
            return types.MethodType(method, self)
        return getattr(self._client, name)

    def _call_api(self, retry: Any, **kwargs: Any) -> Any:
        path = str(kwargs.get("path", ""))
        if kwargs.get("method") == "POST" and path.endswith("/queries"):
            kwargs["timeout"] = self._http_timeout
        answer = self._client._call_api(retry, **kwargs)
        if isinstance(answer, dict):
            self._heard(answer)
        return answer


def bytes_billed(answer: dict[str, Any]) -> int | None:
    """The bytes billed an API answer reports: ``jobs.query``'s, or a job's statistics; an
    answer from BigQuery's own cache bills nothing (0, should it leave the count out)."""
    statistics = answer.get("statistics", {}).get("query", {})
    found = answer.get("totalBytesBilled", statistics.get("totalBytesBilled"))
    if found is None and (answer.get("cacheHit") or statistics.get("cacheHit")):
        return 0
    return None if found is None else int(found)


def _count(*found: Any) -> int | None:
    """The first count given (BigQuery writes int64 as strings); ``None`` if none is."""
    for value in found:
        if value is not None:
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
    return None


def progress_of(answer: dict[str, Any]) -> QueryProgress | None:
    """How far the query got, as an API answer tells: a job's statistics (``jobs.get``, which
    the wait polls while the query runs) or ``jobs.query``'s own counts; ``None`` if it says
    nothing of it."""
    statistics = answer.get("statistics")
    statistics = statistics if isinstance(statistics, dict) else {}
    query = statistics.get("query")
    query = query if isinstance(query, dict) else {}
    processed = _count(
        query.get("totalBytesProcessed"),
        statistics.get("totalBytesProcessed"),
        answer.get("totalBytesProcessed"),
    )
    slot_ms = _count(
        statistics.get("totalSlotMs"), query.get("totalSlotMs"), answer.get("totalSlotMs")
    )
    if processed is None and slot_ms is None:
        return None
    return QueryProgress(bytes_processed=processed, slot_ms=slot_ms)


def run_jobs_query(
    client: bigquery.Client,
    sql: str,
    *,
    job_config: bigquery.QueryJobConfig,
    project: str | None,
    location: str | None,
    first_wait: float,
    wait: float,
    retry: Retry,
    page_size: int,
    on_job: Callable[[str], None],
    heard: Listener,
) -> RowIterator:
    """Run ``sql`` and wait at most ``wait`` seconds for it (also each call's HTTP timeout);
    ``first_wait`` is the first call's server-side wait. ``on_job`` hears the job id of a
    query still running after the first call, before the wait; ``heard`` every API answer."""
    arguments: dict[str, Any] = {
        "job_config": job_config,
        "project": project,
        "location": location,
        "api_timeout": first_wait,
        "wait_timeout": wait,
        "retry": retry,
        "job_retry": None,
        "page_size": page_size,
    }
    # Private: the SDK's query_and_wait with a callback (for bigframes' progress bars), which
    # is how the job id of a running query reaches a cancel. Without it (a later SDK), the
    # public method: the same one call, but the id is known once the query has ended only.
    with_callback = getattr(type(client), "_query_and_wait_bigframes", None)
    if with_callback is None:  # pragma: no cover
        # Its HTTP timeout would be the short wait: let the one call wait the whole time.
        rows: RowIterator = client.query_and_wait(sql, **{**arguments, "api_timeout": wait})
        return rows

    def received(event: Any) -> None:
        job_id = getattr(event, "job_id", None)
        if type(event).__name__ == "QueryReceivedEvent" and job_id:
            on_job(job_id)

    observed = _ObservedClient(client, wait, heard)
    answer: RowIterator = with_callback(observed, sql, callback=received, **arguments)
    return answer
