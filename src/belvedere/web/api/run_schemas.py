"""Request and answer bodies of the runs API: runs, their results, estimates, history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from belvedere.execution.requests import TableRef
from belvedere.execution.runs import ACTIVE, RunStatus, Surface
from belvedere.store.runs import RunRecord
from belvedere.warehouses.base import QueryProgress
from belvedere.warehouses.families import Family
from belvedere.web.api.schemas import MAX_SQL_CHARS, ErrorDetail
from belvedere.web.errors import without_sql


class ResultColumn(BaseModel):
    name: str
    type: str = Field(description="The warehouse's type name.")
    arrow_type: str
    family: Family = Field(description="What the values are, from the Arrow type.")


class ResultsOut(BaseModel):
    run_id: str
    columns: list[ResultColumn]
    rows: list[list[Any]]
    offset: int
    total_rows: int
    truncated: bool


class TableRefIn(BaseModel):
    schema_: str = Field(alias="schema", min_length=1, max_length=300)
    name: str = Field(min_length=1, max_length=300)


class TableRefOut(BaseModel):
    schema_: str = Field(alias="schema")
    name: str

    @classmethod
    def of(cls, stored: str) -> TableRefOut:
        ref = TableRef.from_stored(stored)
        return cls(schema=ref.schema, name=ref.name)


class RunIn(BaseModel):
    connection: str = Field(min_length=1, max_length=100)
    sql: str = Field(default="", max_length=MAX_SQL_CHARS)
    table: TableRefIn | None = Field(
        default=None,
        description="Read this table directly instead of running SQL: a preview (with "
        "`max_rows`) or a whole-table export (with `export`). On BigQuery it runs no query, so "
        "it bills no query bytes.",
    )
    params: list[Any] | dict[str, Any] | None = Field(
        default=None, description="Query parameters, positional or named."
    )
    timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        le=86400,
        description="A shorter deadline than the connection's; a longer one is cut to it.",
    )
    max_rows: int | None = Field(default=None, ge=1)
    export: bool = Field(
        default=False, description="Run for a full export: the export row cap applies."
    )
    surface: str = Field(
        default="api", pattern="^(api|sqllab)$", description="Where the run comes from."
    )
    wait_ms: int = Field(
        default=1000,
        ge=0,
        le=30_000,
        description="How long to wait for the run to end before answering (202 if it has not).",
    )
    page_size: int = Field(
        default=100,
        ge=0,
        le=1000,
        description="Rows of the result to include when the run succeeds within the wait "
        "(`result`), saving a request; 0 for none.",
    )


#: Surfaces whose runs execute SQL the runner did not write (another person's chart on a
#: dashboard, which may inline a private saved query; a schedule's report run as each
#: recipient): the runs API does not show it.
SQL_HIDDEN_SURFACES = frozenset({Surface.DASHBOARD, Surface.SCHEDULE, Surface.DRILL})


class ProgressOut(BaseModel):
    bytes_processed: int | None = Field(description="Bytes the query processed so far.")
    slot_ms: int | None = Field(description="Slot time it used so far (BigQuery), in ms.")


class RunOut(BaseModel):
    id: str
    connection: str
    surface: str
    sql: str = Field(
        description="The SQL run; empty for a dashboard's chart, whose SQL its tile shows "
        "only where the chart's owner allows, and for a schedule's report (`sql_hidden`)."
    )
    sql_hidden: bool = False
    status: str
    error: ErrorDetail | None
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    deadline_at: datetime
    elapsed_ms: float | None = Field(description="Run time, from start to end (or now).")
    row_count: int | None
    truncated: bool
    max_rows: int
    result_bytes: int | None
    table: TableRefOut | None = Field(description="The table of a direct table read.")
    bytes_estimated: int | None = Field(description="The dry run's estimate, if one was made.")
    bytes_processed: int | None
    bytes_billed: int | None
    job_id: str | None = Field(description="The warehouse's id of the job (BigQuery).")
    principal: str | None = Field(description="Who the warehouse saw run it.")
    result: ResultsOut | None = Field(
        default=None, description="The first rows, when asked for and the run succeeded."
    )
    progress: ProgressOut | None = Field(
        default=None,
        description="How far a running query got, as its warehouse reports it while it runs "
        "(BigQuery); `null` when it has said nothing yet, and once the run has ended.",
    )

    @classmethod
    def of(cls, run: RunRecord, now: datetime, progress: QueryProgress | None = None) -> RunOut:
        hidden = run.surface in SQL_HIDDEN_SURFACES
        error = None
        if run.error_code:
            message = run.error_message or ""
            error = ErrorDetail(  # a hidden query's error keeps no position or quoted SQL
                code=run.error_code,
                message=without_sql(message) if hidden else message,
                line=None if hidden else run.error_line,
                column=None if hidden else run.error_column,
            )
        elapsed = None
        if run.started_at is not None:
            elapsed = ((run.finished_at or now) - run.started_at).total_seconds() * 1000
        return cls(
            id=run.id,
            connection=run.connection_name,
            surface=run.surface,
            sql="" if hidden else run.sql,
            sql_hidden=hidden,
            status=run.status,
            error=error,
            submitted_at=run.submitted_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            deadline_at=run.deadline_at,
            elapsed_ms=elapsed,
            row_count=run.row_count,
            truncated=run.truncated,
            max_rows=run.max_rows,
            result_bytes=run.result_bytes,
            table=TableRefOut.of(run.table_ref) if run.table_ref else None,
            bytes_estimated=run.bytes_estimated,
            bytes_processed=run.bytes_processed,
            bytes_billed=run.bytes_billed,
            job_id=run.job_id,
            principal=run.principal,
            progress=ProgressOut(bytes_processed=progress.bytes_processed, slot_ms=progress.slot_ms)
            if progress is not None and RunStatus(run.status) in ACTIVE
            else None,
        )


class RunErrorOut(BaseModel):
    error: ErrorDetail
    run: RunOut


class EstimateIn(BaseModel):
    connection: str = Field(min_length=1, max_length=100)
    sql: str = Field(min_length=1, max_length=MAX_SQL_CHARS)
    params: list[Any] | dict[str, Any] | None = None


class EstimateOut(BaseModel):
    supported: bool = Field(description="Whether this warehouse can estimate (dry run).")
    bytes: int | None = Field(description="Bytes the query would process.")
    text: str | None = Field(description='For people: "will process 1.2 GB".')
    cap: int | None = Field(
        description="The cap on bytes billed per query that holds you on this connection: your "
        "own, your group's, your role's or the connection's (see `cap_from`)."
    )
    over_cap: bool
    applies: bool = Field(
        default=False,
        description="Whether caps, budgets or a raise hold you here (false where the warehouse "
        "does not bill by bytes, or nothing limits you).",
    )
    cap_from: str | None = Field(
        default=None,
        description='Where the cap comes from: "your own cap", "group analysts", "role '
        'viewer", "the connection".',
    )
    budget_left: int | None = Field(
        default=None, description="The least left of any budget that applies to you, in bytes."
    )
    budget_text: str | None = Field(
        default=None,
        description='For people: "2.1 TB left of your daily budget of 3.0 TB, resets at 00:00 '
        '(Europe/Paris)".',
    )
    over_budget: bool = Field(
        default=False, description="Whether the estimate is beyond the budget left."
    )
    raise_bytes: int | None = Field(
        default=None,
        description="A one-off raise an admin granted you here, unused: the next query "
        "refused by its cap or budget may bill up to this many bytes.",
    )


class HistoryOut(BaseModel):
    runs: list[RunOut]
    next_before: datetime | None = Field(description="Pass as `before` for the next page.")
