"""Request and response bodies of the chart and dashboard API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from belvedere.auth.roles import Role
from belvedere.charts.service import ChartData
from belvedere.charts.spec import ChartSpec, DashboardFilterValue, Source
from belvedere.dashboards.access import Access
from belvedere.dashboards.layout import DashboardFilter, Layout
from belvedere.dashboards.service import DashboardSummary, DashboardView, Share
from belvedere.store.charts import ChartRecord
from belvedere.warehouses.families import Family, of_type_name
from belvedere.web.api.schemas import Patch

Title = Annotated[str, Field(min_length=1, max_length=200)]
ConnectionName = Annotated[str, Field(min_length=1, max_length=100)]
CacheTtl = Annotated[int, Field(ge=0, le=7 * 86400)]
SHOW_SQL = (
    "Send the chart's SQL (which inlines a saved query it is built on) to the other people "
    "who see it on a shared dashboard; off by default, and the owner always sees it."
)
VIEWERS_MAY_DRILL = (
    "Let everyone who sees this chart on a shared dashboard drill to the rows behind its "
    "marks (every column of its source, not only the aggregates it draws), even where nothing "
    "else lets them: off by default. Without it only its owner, those who may run SQL, and "
    "anyone on a connection that queries as each user (the warehouse decides what they read) "
    "may drill."
)
CAN_DRILL = (
    "On a dashboard's tile: whether you may see the rows behind its marks (drill to detail; "
    "otherwise the rows endpoints answer 403 `drill_not_allowed`)."
)


class ColumnOut(BaseModel):
    name: str
    type: str
    family: Family


class ColumnsIn(BaseModel):
    connection: ConnectionName
    source: Source


class ColumnsOut(BaseModel):
    columns: list[ColumnOut]


class ExploreIn(BaseModel):
    connection: ConnectionName
    spec: ChartSpec
    force: bool = False


class ChartSqlIn(BaseModel):
    connection: ConnectionName
    spec: ChartSpec


class ChartSqlOut(BaseModel):
    sql: str
    dialect: str


class ChartDataOut(BaseModel):
    columns: list[ColumnOut]
    rows: list[list[Any]]
    row_count: int
    truncated: bool = Field(description="More rows matched than the chart's limit.")
    sql: str | None = Field(
        description="The SQL that ran; null on a shared dashboard unless the chart's owner "
        "turned `show_sql_to_viewers` on."
    )
    cached: bool = Field(description="Served from the cache (same query, same identity).")
    ran_at: datetime = Field(description="When the query behind these rows ended.")
    elapsed_ms: int
    vega_lite: dict[str, Any] | None = Field(
        description="Vega-Lite spec drawing the rows (dataset `rows`); null for tables."
    )
    dimensions: list[str] = Field(description="Result columns that group (time first).")
    metrics: list[str] = Field(description="Result columns that aggregate.")
    bytes_processed: int | None = Field(
        description="What the run behind these rows processed (null where the warehouse "
        "does not say); from the cache, what it processed when it ran."
    )
    bytes_billed: int | None = Field(
        description="What that run billed; rows from the cache bill nothing new."
    )
    bills_bytes: bool = Field(
        description="Whether the connection's warehouse bills by bytes (BigQuery): caps and "
        "budgets apply only there."
    )
    can_drill: bool = Field(default=False, description=CAN_DRILL)

    @classmethod
    def of(cls, data: ChartData, *, show_sql: bool = True, can_drill: bool = False) -> ChartDataOut:
        spec = data.spec
        time = [spec.time.column] if spec.time else []
        return cls(
            dimensions=[*time, *spec.dimensions],
            metrics=[m.name for m in spec.metrics],
            columns=[
                ColumnOut(name=n, type=t, family=of_type_name(arrow))
                for (n, t), (_, arrow) in zip(data.columns, data.arrow_types, strict=True)
            ],
            rows=data.rows,
            row_count=len(data.rows),
            truncated=data.truncated,
            sql=data.sql if show_sql else None,
            cached=data.cached,
            ran_at=data.ran_at,
            elapsed_ms=data.elapsed_ms,
            vega_lite=data.vega_lite,
            bytes_processed=data.bytes_processed,
            bytes_billed=data.bytes_billed,
            bills_bytes=data.bills_bytes,
            can_drill=can_drill,
        )


class ChartIn(BaseModel):
    name: Title
    connection: ConnectionName
    spec: ChartSpec
    cache_ttl_seconds: CacheTtl | None = None
    show_sql_to_viewers: bool = Field(default=False, description=SHOW_SQL)
    viewers_may_drill: bool = Field(default=False, description=VIEWERS_MAY_DRILL)


class ChartPatch(Patch):
    nullable = frozenset({"cache_ttl_seconds"})  # null: the server's default

    name: Title | None = None
    connection: ConnectionName | None = None
    spec: ChartSpec | None = None
    cache_ttl_seconds: CacheTtl | None = None
    show_sql_to_viewers: bool | None = Field(default=None, description=SHOW_SQL)
    viewers_may_drill: bool | None = Field(default=None, description=VIEWERS_MAY_DRILL)


class ChartOut(BaseModel):
    id: int
    name: str
    connection: str
    spec: dict[str, Any]
    cache_ttl_seconds: int | None
    show_sql_to_viewers: bool = Field(description=SHOW_SQL)
    viewers_may_drill: bool = Field(description=VIEWERS_MAY_DRILL)
    owner: str
    created_at: datetime
    updated_at: datetime
    favourite: bool = Field(default=False, description="In lists: whether you starred it (Home).")

    @classmethod
    def of(cls, chart: ChartRecord, owner: str) -> ChartOut:
        return cls(
            id=chart.id,
            name=chart.name,
            connection=chart.connection_name,
            spec=chart.spec,
            cache_ttl_seconds=chart.cache_ttl_seconds,
            show_sql_to_viewers=chart.show_sql_to_viewers,
            viewers_may_drill=chart.viewers_may_drill,
            owner=owner,
            created_at=chart.created_at,
            updated_at=chart.updated_at,
        )


class ChartsOut(BaseModel):
    charts: list[ChartOut]


# -- dashboards ------------------------------------------------------------------------------


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: Annotated[str, Field(min_length=1, max_length=150)] | None = None
    role: Role | None = None
    access: Literal["viewer", "editor"]

    @model_validator(mode="after")
    def _one_target(self) -> ShareIn:
        if (self.user is None) == (self.role is None):
            raise ValueError("share with either a user or a role")
        return self

    def share(self) -> Share:
        """The share as the dashboard service takes it."""
        return Share(self.access, self.user, self.role or None)


class SharesIn(BaseModel):
    shares: Annotated[list[ShareIn], Field(max_length=500)]


class DashboardIn(BaseModel):
    title: Title


class DashboardPatch(Patch):
    model_config = ConfigDict(extra="forbid")
    nullable = frozenset({"refresh_seconds"})  # null: no automatic refresh

    title: Title | None = None
    layout: Layout | None = None
    filters: Annotated[list[DashboardFilter], Field(max_length=20)] | None = None
    refresh_seconds: Annotated[int, Field(ge=10, le=86400)] | None = None


class DashboardChartOut(BaseModel):
    id: int
    name: str
    type: str
    connection: str


class DashboardOut(BaseModel):
    id: int
    title: str
    owner: str
    access: Access
    layout: Layout
    filters: list[DashboardFilter]
    refresh_seconds: int | None
    charts: dict[str, DashboardChartOut]
    shares: list[ShareIn]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: DashboardView) -> DashboardOut:
        record = view.record
        return cls(
            id=record.id,
            title=record.title,
            owner=view.owner,
            access=view.access,
            layout=view.layout,
            filters=view.filters,
            refresh_seconds=record.refresh_seconds,
            charts={
                str(c.id): DashboardChartOut(
                    id=c.id,
                    name=c.name,
                    type=str(c.spec.get("type", "")),
                    connection=c.connection_name,
                )
                for c in view.charts.values()
            },
            shares=[ShareIn(user=s.user, role=s.role, access=s.access) for s in view.shares],
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class DashboardSummaryOut(BaseModel):
    id: int
    title: str
    owner: str
    access: Access
    updated_at: datetime
    favourite: bool = Field(default=False, description="In lists: whether you starred it (Home).")

    @classmethod
    def of(cls, summary: DashboardSummary) -> DashboardSummaryOut:
        record = summary.record
        return cls(
            id=record.id,
            title=record.title,
            owner=summary.owner,
            access=summary.access,
            updated_at=record.updated_at,
        )


class DashboardsOut(BaseModel):
    dashboards: list[DashboardSummaryOut]


class DashboardDataIn(BaseModel):
    filters: Annotated[list[DashboardFilterValue], Field(max_length=20)] = []
    force: bool = False


class FilterValuesOut(BaseModel):
    values: list[Any]


class ThumbnailsOut(BaseModel):
    """Chart id → the numbers its small picture draws (charts without a result of yours since
    their last change are left out)."""

    thumbnails: dict[str, list[float]]
