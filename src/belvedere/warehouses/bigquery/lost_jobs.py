"""Stopping a BigQuery job nobody waits for: its worker died, or its ``jobs.query`` answer
was lost, so the job id is either recorded on the run or known to BigQuery only. Jobs carry
the run's id as a label (``belvedere_run``), which is how the second kind is found."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from google.api_core import exceptions as api
from google.cloud import bigquery

from belvedere.warehouses.bigquery.quirks import label_value

if TYPE_CHECKING:
    from belvedere.warehouses.bigquery.backend import BigQueryWarehouse

log = logging.getLogger(__name__)

#: How long each call may take.
CALL_SECONDS = 10.0
#: Clocks differ: jobs created this long before ``since`` are looked at too.
CLOCK_SLACK = timedelta(minutes=2)
#: Jobs looked at, at most, when searching by label (the caller's own, in a short window).
MAX_LISTED = 1000


def jobs_of_run(
    client: bigquery.Client, run_id: str, since: datetime, project: str | None
) -> list[str]:
    """The ids of the unfinished jobs labelled with ``run_id``, created after ``since``."""
    label = label_value(run_id)
    listed = client.list_jobs(
        project=project,
        min_creation_time=since - CLOCK_SLACK,
        max_results=MAX_LISTED,
        timeout=CALL_SECONDS,
    )
    return [
        job.job_id
        for job in listed
        if job.state != "DONE" and (job.labels or {}).get("belvedere_run") == label
    ]


def cancel_jobs(
    client: bigquery.Client, job_ids: list[str], project: str | None, location: str | None
) -> None:
    """``jobs.cancel`` each; one that is gone or done already is fine."""
    for job_id in job_ids:
        try:
            client.cancel_job(job_id, project=project, location=location, timeout=CALL_SECONDS)
        except api.NotFound:
            continue
        except Exception as exc:
            log.warning("jobs.cancel of lost job %s failed: %s", job_id, exc)


def stop_lost_job(
    client: bigquery.Client,
    run_id: str,
    job_id: str | None,
    since: datetime,
    *,
    project: str | None,
    location: str | None,
) -> None:
    """Cancel the run's job by its recorded id, else every unfinished job labelled with it."""
    found = [job_id] if job_id else jobs_of_run(client, run_id, since, project)
    cancel_jobs(client, found, project, location)


def may_have_started(exc: BaseException) -> bool:
    """Whether a failed ``jobs.query`` call may have started a job all the same: its answer
    was lost (a timeout, a reset, a server error), not a refusal of the request."""
    return not isinstance(exc, api.ClientError)


def stop_in_background(warehouse: BigQueryWarehouse, run_id: str, since: datetime) -> None:
    """Find and cancel, on a thread of its own, the job of a run whose ``jobs.query`` answer
    never came: the run's error is not held up by BigQuery's answer to the search."""

    def stop() -> None:
        try:
            warehouse.stop_lost_job(run_id, None, since)
        except Exception as exc:
            log.warning("could not look for the lost job of run %s: %s", run_id, exc)

    threading.Thread(target=stop, name=f"stop-lost-job-{run_id}", daemon=True).start()
