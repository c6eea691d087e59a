"""Request and response bodies of the JSON API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from belvedere.auth.roles import ROLE_PERMISSIONS, Role
from belvedere.connections.service import ConnectionView
from belvedere.connections.testing import TestOutcome, TestReport
from belvedere.execution.requests import TableRef
from belvedere.execution.runs import Surface
from belvedere.store.models import QueryRun, User
from belvedere.warehouses.base import ColumnInfo, TableInfo
from belvedere.warehouses.registry import backend_class
from belvedere.web.errors import without_sql

MAX_SQL_CHARS = 1_000_000


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


Instant = Annotated[datetime, AfterValidator(_as_utc)]
"""A date-time from a caller: ISO 8601, read as UTC when it has no offset."""


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `syntax_error`.")
    message: str = Field(description="What went wrong, for people.")
    line: int | None = Field(default=None, description="1-based line in the SQL, if known.")
    column: int | None = Field(default=None, description="1-based column in the SQL, if known.")


class ErrorOut(BaseModel):
    error: ErrorDetail


class Patch(BaseModel):
    """A partial update: a field left out keeps its value. Null is refused (422) unless the
    field is in ``nullable``, where it clears the value; the OpenAPI schema says which."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise PydanticCustomError("null", "may not be null (leave it out to keep its value)")
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for name, field in cls.model_fields.items():
            prop = target.get("properties", {}).get(field.alias or name)
            if prop is None or name in cls.nullable or "anyOf" not in prop:
                continue
            options = [o for o in prop.pop("anyOf") if o != {"type": "null"}]
            prop.pop("default", None)
            if len(options) == 1:
                prop.update(options[0])
            else:
                prop["anyOf"] = options
        return schema


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1000)


class UserOut(BaseModel):
    id: int
    username: str
    email: str | None = None
    single_sign_on: bool = Field(default=False, description="Signs in through OpenID Connect.")
    has_password: bool = Field(default=False, description="Can sign in with a password.")
    display_name: str
    role: Role
    is_active: bool
    permissions: list[str]

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            email=user.email,
            single_sign_on=user.oidc_subject is not None,
            has_password=user.password_hash is not None,
            display_name=user.display_name,
            role=Role(user.role),
            is_active=user.is_active,
            permissions=sorted(p.value for p in ROLE_PERMISSIONS[Role(user.role)]),
        )


class MeOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="Send it back in the `X-CSRF-Token` header.")


class CsrfOut(BaseModel):
    csrf_token: str


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1000)
    role: Role = Role.VIEWER
    display_name: str = Field(default="", max_length=200)
    email: str | None = Field(
        default=None,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Who the user is on warehouses that query as each user.",
    )


class UserPatch(Patch):
    role: Role | None = None
    password: str | None = Field(default=None, max_length=1000)
    is_active: bool | None = None
    email: str | None = Field(
        default=None,
        max_length=320,
        pattern=r"^$|^[^@\s]+@[^@\s]+$",
        description="Who the user is on warehouses that query as each user (unique across "
        'accounts); `""` removes it.',
    )


class ConnectionSummaryOut(BaseModel):
    """A connection as a viewer sees it: its name and kind only."""

    name: str
    kind: str

    @classmethod
    def of(cls, view: ConnectionView) -> ConnectionSummaryOut:
        return cls(name=view.name, kind=view.kind)


class ConnectionOut(ConnectionSummaryOut):
    """A connection as those who query or manage it see it (never its secrets)."""

    dialect: str = Field(description="SQL dialect of the warehouse (SQLGlot's name).")
    options: dict[str, Any] = Field(description="Options without secrets.")
    secrets_set: list[str] = Field(description="Names of the secret options that hold a value.")
    timeout_seconds: float | None = Field(description="Deadline override; null uses the default.")

    @classmethod
    def of(cls, view: ConnectionView) -> ConnectionOut:
        return cls(
            name=view.name,
            kind=view.kind,
            dialect=backend_class(view.kind).quirks.dialect,
            options=view.options,
            secrets_set=list(view.secrets_set),
            timeout_seconds=view.timeout_seconds,
        )


class ConnectionIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=30)
    options: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: float | None = Field(default=None, gt=0, le=86400)


class ConnectionPatch(Patch):
    options: dict[str, Any] | None = Field(
        default=None, description="Options to change; a secret left out or null keeps its value."
    )
    timeout_seconds: float | None = Field(default=None, gt=0, le=86400)
    clear_timeout: bool = False


class ConnectionTestIn(BaseModel):
    kind: str = Field(min_length=1, max_length=30)
    options: dict[str, Any] = Field(default_factory=dict)
    name: str | None = Field(
        default=None,
        description="A saved connection being edited: its stored secrets fill the ones left "
        "out (null or missing), so the edited form can be tested before saving.",
    )


class ConnectionKindOut(BaseModel):
    kind: str
    label: str
    dialect: str
    options_schema: dict[str, Any] = Field(description="JSON Schema of the options.")
    secret_fields: list[str]


class TestResultOut(BaseModel):
    ok: bool
    message: str
    elapsed_ms: float


class TestOut(TestResultOut):
    """Both results in ``ok`` and ``message``; each apart in ``connection`` and ``as_you``."""

    connection: TestResultOut = Field(description="As the connection's own account.")
    as_you: TestResultOut | None = Field(
        default=None,
        description="As the person testing, when the connection queries as each user.",
    )
    principal: str | None = Field(default=None, description="Who you were, as the warehouse saw.")

    @classmethod
    def of(cls, report: TestReport) -> TestOut:
        def part(o: TestOutcome) -> TestResultOut:
            return TestResultOut(ok=o.ok, message=o.message, elapsed_ms=o.elapsed_ms)

        return cls(
            ok=report.ok,
            message=report.message,
            elapsed_ms=report.elapsed_ms,
            connection=part(report.connection),
            as_you=part(report.as_you) if report.as_you is not None else None,
            principal=report.principal,
        )


class ColumnOut(BaseModel):
    name: str
    type: str
    nullable: bool = True
    description: str = ""
    mode: str = Field(default="", description="`REPEATED` for arrays.")
    partitioning: bool = False
    clustering: int | None = None
    fields: list[ColumnOut] = Field(default_factory=list, description="Nested fields (STRUCT).")

    @classmethod
    def of(cls, column: ColumnInfo) -> ColumnOut:
        return cls(
            name=column.name,
            type=column.type,
            nullable=column.nullable,
            description=column.description,
            mode=column.mode,
            partitioning=column.partitioning,
            clustering=column.clustering,
            fields=[cls.of(f) for f in column.fields],
        )


class TableSummaryOut(BaseModel):
    name: str
    kind: str
    description: str = ""
    row_count: int | None = None
    size_bytes: int | None = None
    partitioned_by: str | None = None
    clustered_by: list[str] = Field(default_factory=list)
    column_count: int
    columns: list[ColumnOut] | None = Field(default=None, description="With `columns=true` only.")

    @classmethod
    def of(cls, table: TableInfo, with_columns: bool) -> TableSummaryOut:
        return cls(
            name=table.name,
            kind=table.kind,
            description=table.description,
            row_count=table.row_count,
            size_bytes=table.size_bytes,
            partitioned_by=table.partitioned_by,
            clustered_by=list(table.clustered_by),
            column_count=len(table.columns),
            columns=[ColumnOut.of(c) for c in table.columns] if with_columns else None,
        )


class TableOut(TableSummaryOut):
    schema_: str = Field(alias="schema")


class SchemaOut(BaseModel):
    name: str
    error: str | None = Field(default=None, description="Why this schema could not be read.")
    tables: list[TableSummaryOut]


class CatalogOut(BaseModel):
    connection: str
    loaded_at: datetime
    load_ms: float
    table_count: int
    schemas: list[SchemaOut]


class MatchOut(BaseModel):
    schema_: str = Field(alias="schema")
    table: str
    kind: str = Field(description="`table`, `view` or `column`.")
    column: str | None = Field(default=None, description="Dotted path for nested fields.")
    type: str | None = None


class SearchOut(BaseModel):
    matches: list[MatchOut]


class ResultColumn(BaseModel):
    name: str
    type: str = Field(description="The warehouse's type name.")
    arrow_type: str


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
#: dashboard, which may inline a private saved query): the runs API does not show it.
SQL_HIDDEN_SURFACES = frozenset({Surface.DASHBOARD})


class RunOut(BaseModel):
    id: str
    connection: str
    surface: str
    sql: str = Field(
        description="The SQL run; empty for a dashboard's chart, whose SQL its tile shows "
        "only where the chart's owner allows (`sql_hidden`)."
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

    @classmethod
    def of(cls, run: QueryRun, now: datetime) -> RunOut:
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
    cap: int | None = Field(description="The connection's cap on bytes billed per query.")
    over_cap: bool


class HistoryOut(BaseModel):
    runs: list[RunOut]
    next_before: datetime | None = Field(description="Pass as `before` for the next page.")


class HealthOut(BaseModel):
    status: str
    version: str
