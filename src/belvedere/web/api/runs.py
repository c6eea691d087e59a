"""Runs: submit a query, wait for it, cancel it, page through and export its result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from starlette.responses import Response

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission
from belvedere.execution.formats import ExportFormat
from belvedere.execution.requests import TableRef
from belvedere.execution.runs import RunStatus, Surface
from belvedere.filenames import content_disposition, file_stem
from belvedere.store.runs import RunRecord
from belvedere.units import human_bytes
from belvedere.web.api.answers import now, results_out, run_and_answer
from belvedere.web.api.run_schemas import (
    EstimateIn,
    EstimateOut,
    HistoryOut,
    ResultsOut,
    RunErrorOut,
    RunIn,
    RunOut,
)
from belvedere.web.api.schemas import ErrorOut, Instant
from belvedere.web.deps import ServicesDep, actor, require
from belvedere.web.errors import ApiError

router = APIRouter(tags=["runs"], responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}})
Analyst = Annotated[Account, Depends(require(Permission.RUN_SQL))]
MAX_PAGE = 1000


@router.post(
    "/runs",
    response_model=RunOut,
    responses={
        202: {"model": RunOut, "description": "Still running: poll `GET /runs/{id}`."},
        400: {"model": RunErrorOut, "description": "The query failed (bad SQL, not found...)."},
        502: {"model": RunErrorOut, "description": "The warehouse could not be reached."},
    },
)
async def submit_run(body: RunIn, user: Analyst, services: ServicesDep) -> Response:
    """Run a query. Waits up to `wait_ms` for it to end: 200 with the ended run, 202 while it
    still runs (poll `GET /runs/{id}`), 400 when the query failed (with the error and its
    position, and the run under `run`)."""
    return await run_and_answer(
        services,
        user,
        connection=body.connection,
        sql=body.sql,
        surface=Surface(body.surface),
        wait_ms=body.wait_ms,
        page_size=body.page_size,
        params=body.params,
        timeout_seconds=body.timeout_seconds,
        max_rows=body.max_rows,
        export=body.export,
        table=TableRef(body.table.schema_, body.table.name) if body.table else None,
    )


@router.get("/runs/{run_id}", response_model=RunOut)
async def get_run(
    run_id: str,
    user: Analyst,
    services: ServicesDep,
    wait_ms: Annotated[int, Query(ge=0, le=30_000)] = 0,
) -> RunOut:
    """A run; with `wait_ms`, answers as soon as it ends or when the wait is over. A running
    query's `progress` says how far it got (bytes processed, slot time), where the warehouse
    reports it while it runs (BigQuery)."""
    run = await services.execution.wait(run_id, actor(user), wait_ms / 1000)
    return RunOut.of(run, now(), services.progress.get(run.id))


@router.post("/runs/{run_id}/cancel", response_model=RunOut)
async def cancel_run(run_id: str, user: Analyst, services: ServicesDep) -> RunOut:
    """Cancel a run: it ends `cancelled` at once and the warehouse is told to stop."""
    run = await services.execution.cancel(run_id, actor(user))
    return RunOut.of(run, now())


async def _succeeded(run_id: str, user: Account, services: ServicesDep) -> RunRecord:
    run = await services.execution.get(run_id, actor(user))
    if run.status != RunStatus.SUCCEEDED:
        raise ApiError(409, "no_result", f"The run has no result: it is {run.status}.")
    return run


@router.get(
    "/runs/{run_id}/results", response_model=ResultsOut, responses={410: {"model": ErrorOut}}
)
async def run_results(
    run_id: str,
    user: Analyst,
    services: ServicesDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> ResultsOut:
    """A page of a succeeded run's rows, with column names and types."""
    run = await _succeeded(run_id, user, services)
    return await results_out(services, run, offset, limit)


@router.get(
    "/runs/{run_id}/export",
    responses={
        410: {"model": ErrorOut},
        200: {
            "content": {
                "text/csv": {},
                "application/json": {},
                "application/vnd.apache.parquet": {},
            }
        },
    },
)
async def export_run(
    run_id: str,
    user: Analyst,
    services: ServicesDep,
    format: Annotated[ExportFormat, Query()] = ExportFormat.CSV,
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Download a succeeded run's whole stored result, as `<name>-<yyyy-mm-dd>.<format>`:
    `name` is what the query is called (a tab's title, a saved query's name; made safe
    here), else the connection's name; the date is the run's."""
    run = await _succeeded(run_id, user, services)
    chunks = await services.execution.export(run.id, format)
    stem = file_stem(name or "", file_stem(run.connection_name, "query"))
    filename = f"{stem}-{run.submitted_at.date().isoformat()}.{format.value}"
    headers = {"content-disposition": content_disposition(filename)}
    return StreamingResponse(chunks, media_type=format.media_type, headers=headers)


@router.post("/estimate", response_model=EstimateOut, responses={400: {"model": ErrorOut}})
async def estimate(body: EstimateIn, user: Analyst, services: ServicesDep) -> EstimateOut:
    """What a query would process, from a dry run (BigQuery); nothing runs or is billed.
    Invalid SQL answers 400 with the error and its position."""
    found = await services.execution.estimate(body.connection, body.sql, body.params, actor(user))
    cap = found.cap
    held = found.allowance
    tightest = held.tightest if held is not None else None
    return EstimateOut(
        supported=found.bytes is not None,
        bytes=found.bytes,
        text=f"will process {human_bytes(found.bytes)}" if found.bytes is not None else None,
        cap=cap,
        over_cap=found.bytes is not None and cap is not None and found.bytes > cap,
        applies=held is not None and held.applies,
        cap_from=held.cap_from if held is not None else None,
        budget_left=tightest.left if tightest is not None else None,
        budget_text=tightest.left_text() if tightest is not None else None,
        over_budget=found.bytes is not None
        and tightest is not None
        and found.bytes > tightest.left,
        raise_bytes=held.raise_.max_bytes if held is not None and held.raise_ else None,
    )


@router.get("/history", response_model=HistoryOut)
async def history(
    user: Analyst,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Instant | None = None,
    connection: str | None = None,
) -> HistoryOut:
    """Your runs, newest first."""
    runs = await services.execution.history(
        actor(user), limit=limit, before=before, connection=connection
    )
    moment = now()
    return HistoryOut(
        runs=[RunOut.of(r, moment) for r in runs],
        next_before=runs[-1].submitted_at if len(runs) == limit else None,
    )
