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

from belvedere.auth.account import Account
from belvedere.auth.roles import ROLE_PERMISSIONS, Role
from belvedere.catalog.model import ColumnsState
from belvedere.connections.service import ConnectionView
from belvedere.connections.testing import TestOutcome, TestReport
from belvedere.warehouses.base import ColumnInfo, TableInfo
from belvedere.warehouses.families import Family, of_type_name
from belvedere.warehouses.registry import backend_class
from belvedere.web.api.timezones import TimeZoneName

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
    timezone: str | None = Field(
        default=None,
        description="Where the user's days start (their budgets reset at their midnight, "
        "spend is shown by their days); null: the server's (`BELVEDERE_TIMEZONE`).",
    )
    groups: list[str] = Field(
        default_factory=list,
        description="The user's groups: from the identity provider at each single sign-on, "
        "else as an admin set them. Group budgets are shared by the members.",
    )

    @classmethod
    def of(cls, user: Account) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            email=user.email,
            single_sign_on=user.single_sign_on,
            has_password=user.has_password,
            display_name=user.display_name,
            role=Role(user.role),
            is_active=user.is_active,
            permissions=sorted(p.value for p in ROLE_PERMISSIONS[Role(user.role)]),
            timezone=user.timezone,
            groups=list(user.groups or ()),
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
    timezone: TimeZoneName = Field(
        default=None,
        max_length=100,
        description="The user's IANA time zone, e.g. `Europe/Paris`; `\"\"`: the server's.",
    )
    groups: list[Annotated[str, Field(min_length=1, max_length=300)]] | None = Field(
        default=None,
        max_length=100,
        description="The user's groups (accounts with a password only: single sign-on sets "
        "them from the identity provider).",
    )


class MePatch(Patch):
    timezone: TimeZoneName = Field(
        default=None,
        max_length=100,
        description="Your IANA time zone, e.g. `Europe/Paris`: your days (budgets, spend) "
        'start at its midnight. `""`: the server\'s.',
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
    family: Family = Field(description="What the values are, from the type name.")
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
            family=Family.OTHER if column.mode == "REPEATED" else of_type_name(column.type),
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
    column_count: int | None = Field(
        description="`null` while its schema's columns are loading (or could not be)."
    )
    columns: list[ColumnOut] | None = Field(
        default=None,
        description="With `columns=true` only, once its schema's columns are loaded.",
    )

    @classmethod
    def of(cls, table: TableInfo, with_columns: bool, known: bool = True) -> TableSummaryOut:
        """``known``: its schema's columns are loaded (else they are not given)."""
        return cls(
            name=table.name,
            kind=table.kind,
            description=table.description,
            row_count=table.row_count,
            size_bytes=table.size_bytes,
            partitioned_by=table.partitioned_by,
            clustered_by=list(table.clustered_by),
            column_count=len(table.columns) if known else None,
            columns=[ColumnOut.of(c) for c in table.columns] if with_columns and known else None,
        )


class TableOut(TableSummaryOut):
    schema_: str = Field(alias="schema")


class SchemaOut(BaseModel):
    name: str
    error: str | None = Field(
        default=None,
        description="Why this schema, or its columns, could not be read (its tables stay as "
        "listed when only the columns failed).",
    )
    columns: ColumnsState = Field(
        default=ColumnsState.LOADED,
        description="Its tables' columns: `loaded`, `loading` (its tables are listed, their "
        "columns are on their way) or `error`.",
    )
    tables: list[TableSummaryOut]


class CatalogOut(BaseModel):
    connection: str
    loaded_at: datetime = Field(description="When the schemas and tables were listed.")
    load_ms: float = Field(
        description="Time to the full catalog once `complete`, else the time spent so far."
    )
    table_count: int
    complete: bool = Field(
        default=True,
        description="Every schema's columns are loaded (or failed). While not, ask again "
        "(with `prioritize`) to see the rest fill in.",
    )
    schemas: list[SchemaOut]


class MatchOut(BaseModel):
    schema_: str = Field(alias="schema")
    table: str
    kind: str = Field(description="`table`, `view` or `column`.")
    column: str | None = Field(default=None, description="Dotted path for nested fields.")
    type: str | None = None


class SearchOut(BaseModel):
    matches: list[MatchOut]
    loading: list[str] = Field(
        default_factory=list,
        description="Schemas whose columns are still loading: searched by table name only.",
    )


class HealthOut(BaseModel):
    status: str
    version: str
