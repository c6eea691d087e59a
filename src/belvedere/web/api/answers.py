"""How the runs API answers a run (`POST /runs`, a saved query's run): submit it, wait a
while, the first page of its rows; a failed run is raised for the shared error handlers."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import Response

from belvedere.auth.account import Account
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import RunStatus
from belvedere.execution.service import ResultMissing
from belvedere.services import Services
from belvedere.store.runs import RunRecord
from belvedere.web.api.run_schemas import ResultColumn, ResultsOut, RunOut
from belvedere.web.deps import actor
from belvedere.web.errors import RunFailed


def now() -> datetime:
    """The current time, timezone-aware (how long runs have run)."""
    return datetime.now(UTC)


async def run_and_answer(
    services: Services,
    user: Account,
    *,
    wait_ms: int,
    page_size: int,
    **request: Any,
) -> Response:
    """Submit a run as ``user``, wait up to ``wait_ms`` and answer as `POST /runs` does:
    200 with the ended run, 202 while it runs; a failed run raises :class:`RunFailed`."""
    execution = services.execution
    run = await execution.submit(QueryRequest(actor=actor(user), **request))
    run = await execution.wait(run.id, actor(user), wait_ms / 1000)
    out = RunOut.of(run, now())
    if run.status == RunStatus.SUCCEEDED and page_size:
        with contextlib.suppress(ResultMissing):
            out.result = await results_out(services, run, 0, page_size)
    if run.status == RunStatus.FAILED:
        raise RunFailed(run, out.model_dump(mode="json", by_alias=True), hide_sql=out.sql_hidden)
    status = 200 if RunStatus(run.status).is_terminal else 202
    return Response(out.model_dump_json(by_alias=True), status, media_type="application/json")


async def results_out(services: Services, run: RunRecord, offset: int, limit: int) -> ResultsOut:
    """A page of a succeeded run's rows, as the runs API answers it."""
    page = await services.execution.page_json(run, offset, limit)
    return ResultsOut(
        run_id=run.id,
        columns=[
            ResultColumn(name=c.name, type=c.type, arrow_type=c.arrow_type, family=c.family)
            for c in page.columns
        ],
        rows=page.rows,
        offset=offset,
        total_rows=page.total_rows,
        truncated=run.truncated,
    )
