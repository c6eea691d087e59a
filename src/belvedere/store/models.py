"""Tables of the metadata store. Change them only together with a migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database, SQLite included."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class User(Base):
    """An account: local (password), or signed in through OpenID Connect (issuer, subject)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    oidc_issuer: Mapped[str | None] = mapped_column(String(300), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(300), nullable=True)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Groups from the identity provider at the last sign-in."""
    timezone: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """Where the user's days start (budgets reset at their midnight); ``None``: the server's."""

    @property
    def has_password(self) -> bool:
        """Whether the account can sign in with a password."""
        return self.password_hash is not None

    @property
    def single_sign_on(self) -> bool:
        """Whether the account signs in through OpenID Connect."""
        return self.oidc_subject is not None


#: One account per e-mail, whatever its case: an e-mail names one person on warehouses.
Index("uq_users_email", func.lower(User.email), unique=True)


class UserToken(Base):
    """A user's grant to a warehouse (an OAuth2 refresh token), encrypted."""

    __tablename__ = "user_tokens"
    __table_args__ = (UniqueConstraint("user_id", "connection_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    connection_name: Mapped[str] = mapped_column(String(100))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PendingFlow(Base):
    """A redirect-based sign-in or authorization under way: its state, and what to check when
    the browser comes back (nonce, PKCE verifier: sealed)."""

    __tablename__ = "pending_flows"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    connection_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SavedQuery(Base):
    """A query kept by its owner, private (a draft) or shared with everyone who runs SQL."""

    __tablename__ = "saved_queries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    connection_name: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    sql: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebSession(Base):
    """A signed-in browser session; the cookie carries its id, the table its life."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Connection(Base):
    """A warehouse connection: plain options as JSON, secrets encrypted."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sealed_secrets: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    timeout_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QueryRun(Base):
    """One run of one query: its history record, whatever its outcome."""

    __tablename__ = "query_runs"
    __table_args__ = (
        Index("ix_query_runs_user_submitted", "user_id", "submitted_at"),
        Index("ix_query_runs_submitted", "submitted_at"),
        Index("ix_query_runs_charged_submitted", "charged_to", "submitted_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    connection_name: Mapped[str] = mapped_column(String(100))
    surface: Mapped[str] = mapped_column(String(20))
    sql: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_column: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_rows: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    result_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    table_ref: Mapped[str | None] = mapped_column(String(300), nullable=True)
    """``schema.table`` when the run read a table directly instead of running SQL."""
    bytes_estimated: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bytes_processed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bytes_billed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """The warehouse's own id of the job, if it has jobs (BigQuery)."""
    principal: Mapped[str | None] = mapped_column(String(300), nullable=True)
    """Who the warehouse saw run it: the shared identity, the user, or an impersonated account."""
    cache_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    """Same key, same answer: connection, principal, SQL, parameters and row cap, hashed."""
    chart_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dashboard_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The saved chart, and the dashboard, a run drew (spend is rolled up by them)."""
    charged_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Who pays for it when not its user (a schedule's owner, run as each recipient)."""
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """The Celery worker (``host:pid:nonce``) that runs or ran it; ``None`` in a server."""
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Chart(Base):
    """A saved chart: its spec (see :mod:`belvedere.charts.spec`) on a connection."""

    __tablename__ = "charts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    connection_name: Mapped[str] = mapped_column(String(100))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The source's columns when the chart was saved: where dashboard filters apply."""
    cache_ttl_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    show_sql_to_viewers: Mapped[bool] = mapped_column(Boolean, default=False)
    viewers_may_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether others (on a shared dashboard) are sent its SQL; may see the rows behind it."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Dashboard(Base):
    """A grid of chart and markdown tiles, with filters; private to its owner until shared."""

    __tablename__ = "dashboards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    layout: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    filters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    refresh_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DashboardShare(Base):
    """A dashboard shared with one user or with everyone of a role, as viewer or editor."""

    __tablename__ = "dashboard_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(
        ForeignKey("dashboards.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    access: Mapped[str] = mapped_column(String(20))


class SigninThrottle(Base):
    """Failed sign-ins of one account or one client address, or a pair's last success.

    ``key`` is ``account <name>``, ``address <ip>`` or ``known <name> <ip>`` (see
    :mod:`belvedere.auth.throttle`).
    """

    __tablename__ = "signin_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Meta(Base):
    """Small facts about this installation (e.g. that the demo was registered once)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Schedule(Base):
    """A report or alert sent on a cron in a time zone, by e-mail or webhook, run as its owner
    or as each recipient (see :mod:`belvedere.schedules`)."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_due", "active", "next_run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    sealed_webhook_url: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    """The webhook's URL, sealed: an incoming webhook's URL is itself a credential."""
    sealed_webhook_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    run_as: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    recipients_see_owner_data: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_data_confirmed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    """Who confirmed that recipients outside Belvedere see the owner's rows, and when."""
    owner_data_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    alert: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    alert_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Retired: alert states live in ``schedule_alert_states`` (one per recipient) since
    migration 0011, which moved them there; the column stays because SQLite drops a column
    only by rebuilding the table."""
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ScheduleDelivery(Base):
    """One attempt to deliver a schedule's report to one recipient or its webhook."""

    __tablename__ = "schedule_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    recipient: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    run_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class ScheduleTick(Base):
    """A schedule's tick claimed by one process: the unique key makes each tick run once."""

    __tablename__ = "schedule_ticks"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at", name="uq_schedule_ticks_tick"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimer: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScheduleAlertState(Base):
    """What an alert's last evaluation found for one recipient: ``recipient`` is the
    address (lower case) of a schedule run as each recipient, ``""`` of one run as its owner
    (one state for everyone)."""

    __tablename__ = "schedule_alert_states"

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True
    )
    recipient: Mapped[str] = mapped_column(String(320), primary_key=True)
    is_true: Mapped[bool] = mapped_column(Boolean, default=False)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """A change worth auditing (see :mod:`belvedere.audit.events`): who did what to which
    object, and when; ``actor_id`` is ``None`` when Belvedere itself did it."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_object", "object_kind", "object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(40))
    object_kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# The cost-governance and Home tables live in their own modules; imported so the metadata is whole.
from belvedere.store import cost_tables, favourite_tables  # noqa: E402, F401
