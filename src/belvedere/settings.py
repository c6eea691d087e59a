"""The one table of settings, read from ``BELVEDERE_*`` environment variables.

Every field is documented by its ``description``; the README's configuration table is generated
from this class (``make readme``; ``belvedere settings`` prints it) and a test keeps the two in
step.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, get_args, get_origin

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "BELVEDERE_"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "belvedere"


class Settings(BaseSettings):
    """Belvedere's settings. Field descriptions are user-facing documentation."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for the metadata database, results store, demo warehouse and secret "
        "key. Default: `$XDG_DATA_HOME/belvedere` (`~/.local/share/belvedere`).",
    )
    host: str = Field(default="127.0.0.1", description="Address `belvedere serve` listens on.")
    port: int = Field(
        default=8321, ge=1, le=65535, description="Port `belvedere serve` listens on."
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes of `belvedere serve`, sharing the port: more spread the "
        "work of many queries at once over CPUs. Each keeps a few short-lived caches of its "
        "own (sessions 2 s, connection settings 5 s, schema catalogs).",
    )
    base_url: str | None = Field(
        default=None,
        description="Public URL of this server, printed at start. Default: `http://HOST:PORT`.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata store, e.g. "
        "`postgresql+psycopg://user:pass@host/db`. Default: SQLite in the data directory.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs session cookies and encrypts stored secrets. Default: a random "
        "key generated once into `DATA_DIR/secret_key`. Keep it stable across restarts.",
    )
    admin_username: str = Field(
        default="admin", description="Name of the admin account created at first start."
    )
    admin_password: SecretStr | None = Field(
        default=None,
        description="Password of the admin account created at first start. Default: a random "
        "password, printed once.",
    )
    demo: bool = Field(
        default=True,
        description="Create the embedded DuckDB demo warehouse (connection `demo`) at first start.",
    )
    query_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Default deadline of a query; a connection may override it.",
    )
    max_result_rows: int = Field(
        default=100_000,
        ge=1,
        description="Row cap of an interactive run; a result beyond it is cut and flagged "
        "`truncated`.",
    )
    export_max_rows: int = Field(default=10_000_000, ge=1, description="Row cap of an export run.")
    catalog_ttl_seconds: float = Field(
        default=600.0,
        ge=0,
        description="How long a loaded schema catalog is reused before it is loaded again "
        "(the schema browser's refresh button reloads at once).",
    )
    catalog_parallel_schemas: int = Field(
        default=8,
        ge=1,
        description="Schemas (BigQuery datasets) of one catalog whose columns load at once; "
        "the schema browser lists every schema's tables first, then fills in columns, the "
        "schemas a user opens or searches first.",
    )
    chart_cache_ttl_seconds: int = Field(
        default=600,
        ge=0,
        description="How long a chart's data is reused, per identity, unless the chart sets "
        "its own TTL (force refresh always runs the query).",
    )
    refresh_confirm_bytes: int = Field(
        default=10 * 1024**3,
        ge=0,
        description="Above this many bytes (the sum of its charts' dry runs, on connections "
        "that bill by bytes), a dashboard's force refresh shows its estimate and asks first; "
        "it also asks when the estimate is more than the viewer's budget left.",
    )
    results_budget_mb: int = Field(
        default=2048,
        ge=1,
        description="Size budget of the results store; the oldest results are evicted beyond "
        "it (in a `redis://` store, for the whole installation, and no one result may pass it; "
        "in a filesystem store, as each process counts).",
    )
    broker_url: str | None = Field(
        default=None,
        description="Redis URL of the Celery broker, e.g. `redis://redis:6379/0`. When set, "
        "queries run on `belvedere worker` processes (web servers only submit, wait, page and "
        "cancel), and cancels, sign-outs and cache changes reach every process through it. "
        "Default: queries run in the server process.",
    )
    results_url: str | None = Field(
        default=None,
        description="Where Arrow results live: `redis://...` (compressed, each kept "
        "`RESULTS_TTL_SECONDS`, for small results), or a filesystem URL pyarrow or fsspec "
        "opens (`file:///shared/mount`, `gs://bucket/prefix`, `s3://bucket/prefix`) that every "
        "server and worker reaches. Default: the folder `DATA_DIR/results` (one host).",
    )
    results_ttl_seconds: int = Field(
        default=24 * 3600,
        ge=60,
        description="How long a result is kept in a `redis://` or filesystem results store "
        "(reading it later answers 410, run the query again).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token `GET /metrics` requires (Prometheus `authorization`). "
        "Default: `/metrics` answers anyone who reaches the server.",
    )
    query_threads: int = Field(
        default=256,
        ge=1,
        description="Threads that wait on remote warehouses (PostgreSQL, BigQuery); runs beyond "
        "it wait `queued`. Waiting threads are cheap: size it for concurrent queries.",
    )
    embedded_query_threads: int | None = Field(
        default=None,
        ge=1,
        description="Threads that run embedded engines (DuckDB), which use the CPU of this "
        "machine; runs beyond it wait `queued`. Default: the number of CPUs.",
    )
    session_idle_minutes: int = Field(
        default=12 * 60, ge=1, description="A session ends after this long without a request."
    )
    session_max_hours: int = Field(
        default=7 * 24, ge=1, description="A session ends this long after sign-in, active or not."
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark cookies `Secure` (set it when Belvedere is served over HTTPS).",
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (HTTP 413 beyond)."
    )
    signin_free_failures: int = Field(
        default=5,
        ge=1,
        description="Wrong passwords an account, or a client address, may send before sign-in "
        "is refused (HTTP 429) for a while.",
    )
    signin_lockout_seconds: int = Field(
        default=30,
        ge=1,
        description="The first refusal's length after the free failures; it doubles with each "
        "further failure.",
    )
    signin_lockout_max_seconds: int = Field(
        default=900,
        ge=1,
        description="The longest a refusal lasts, however many failures came before.",
    )
    signin_forget_hours: int = Field(
        default=24,
        ge=1,
        description="Failed sign-ins are forgotten after this long without another one.",
    )
    trusted_proxies: str = Field(
        default="127.0.0.1,::1",
        description="Comma-separated addresses (or `*`) of reverse proxies whose "
        "`X-Forwarded-For` and `X-Forwarded-Proto` are believed; empty: none. Sign-in "
        "throttling counts failures per client address as this makes it.",
    )
    oidc_client_id: str | None = Field(
        default=None,
        description="OAuth client id for sign-in with OpenID Connect; sign-in by OIDC is offered "
        "when it is set. Also the default client of users' BigQuery authorizations.",
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="OAuth client secret of `OIDC_CLIENT_ID`."
    )
    oidc_issuer: str = Field(
        default="https://accounts.google.com",
        description="OpenID Connect issuer; its `/.well-known/openid-configuration` is read.",
    )
    oidc_label: str = Field(default="Google", description='Shown as "Sign in with LABEL".')
    oidc_scopes: str = Field(
        default="openid email profile", description="Scopes asked for at sign-in."
    )
    oidc_default_role: Literal["admin", "editor", "viewer"] = Field(
        default="viewer", description="Role of a user created at their first sign-in."
    )
    oidc_groups_claim: str = Field(
        default="groups", description="ID-token claim that lists the user's groups."
    )
    oidc_role_mapping: str = Field(
        default="",
        description="Groups that grant roles, e.g. `bi-admins=admin,analysts=editor`; the "
        "highest role wins and is applied at every sign-in.",
    )
    oidc_allowed_domains: str = Field(
        default="",
        description="If set, only emails of these domains may sign in (comma-separated).",
    )
    google_oauth_authorize_url: str = Field(
        default="https://accounts.google.com/o/oauth2/v2/auth",
        description="Google's OAuth2 authorization endpoint (users authorizing BigQuery).",
    )
    google_oauth_token_url: str = Field(
        default="https://oauth2.googleapis.com/token",
        description="Google's OAuth2 token endpoint (refreshing users' BigQuery grants).",
    )
    google_iam_credentials_url: str = Field(
        default="https://iamcredentials.googleapis.com",
        description="Base URL of the IAM Credentials API (impersonation).",
    )
    identity_token_ttl_seconds: int = Field(
        default=600,
        ge=1,
        le=3600,
        description="Longest time Belvedere reuses a user's or an impersonated access token "
        "before it asks Google for a new one: the bound on how long a change made in Google "
        "(an account disabled, a grant or an IAM role removed) can take to reach Belvedere's "
        "per-user connections.",
    )
    schedule_tick_seconds: float = Field(
        default=30,
        gt=0,
        le=3600,
        description="How often each server looks for schedules that are due. Every server "
        "looks; each tick of a schedule is delivered once, by one of them.",
    )
    schedule_concurrency: int = Field(
        default=32,
        ge=1,
        description="Scheduled reports and alerts each server process builds at once (each "
        "waits for its queries); the others wait their turn, their queries not yet started. "
        "A quarter as many messages are sent at once (at least 4). At most half of "
        "`QUERY_THREADS` is used, so that people's queries still run during a burst of "
        "reports. Mind the warehouse's own limit of concurrent queries.",
    )
    schedule_retry_seconds: str = Field(
        default="60,300",
        pattern=r"^\s*(\d+(\.\d+)?\s*(,\s*\d+(\.\d+)?\s*)*)?$",
        description="Waits, in seconds, before each retry of a schedule's delivery that failed "
        "(an SMTP server that refused or did not answer, a webhook's error): `60,300` tries "
        "twice more, after 1 and then 5 minutes. Empty: no retries.",
    )
    audit_retention_days: int = Field(
        default=365,
        ge=1,
        description="Query history and audit records older than this are deleted (daily).",
    )
    timezone: str = Field(
        default="UTC",
        description="The server's time zone (an IANA name such as `Europe/Paris`): where the "
        "days and months of byte budgets start for users who set no time zone of their own, "
        "and for groups' budgets. An unknown name counts as UTC.",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="SMTP server that sends scheduled reports: `smtp://user:password@host:port` "
        "(STARTTLS when the server offers it), `smtp+starttls://...` (STARTTLS required) or "
        "`smtps://...` (TLS from the first byte); credentials optional, URL-encoded. "
        "Default: no e-mail is sent.",
    )
    smtp_from: str = Field(
        default="belvedere@localhost",
        description="Sender of scheduled reports' e-mails, e.g. `Belvedere <bi@example.com>`.",
    )
    smtp_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        description="Longest wait for the SMTP server to connect or answer one command; a "
        "server that does not answer fails the delivery, which is retried later.",
    )
    smtp_ca_file: str | None = Field(
        default=None,
        description="PEM file of the certificate authorities the SMTP server's certificate is "
        "checked against. Default: the system's.",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Longest wait for a schedule's webhook to connect or answer.",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Let schedules' webhooks post to loopback, private and shared addresses "
        "(a chat server on the internal network). Link-local addresses, such as a cloud "
        "metadata server's, are refused always.",
    )
    schedule_image_ttl_hours: int = Field(
        default=168,
        ge=1,
        description="How long the links to the charts of a webhook report work (whoever holds "
        "a link sees the chart until then).",
    )
    price_per_tib: float = Field(
        default=6.25,
        ge=0,
        description="What one TiB billed costs, in `CURRENCY`: spend is shown in money at this "
        "price (BigQuery's on-demand list price by default; set your negotiated one).",
    )
    currency: str = Field(
        default="USD", min_length=1, max_length=10, description="Currency of `PRICE_PER_TIB`."
    )
    budget_alert_seconds: float = Field(
        default=60,
        gt=0,
        le=86400,
        description="How often each server looks for budgets at 80% or 100% of their period; "
        "each is told once (in the app, and by e-mail when `SMTP_URL` is set).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level of the server and the CLI."
    )

    @property
    def metadata_url(self) -> str:
        """The metadata store's SQLAlchemy URL."""
        return self.database_url or f"sqlite:///{self.data_dir / 'belvedere.db'}"

    @property
    def public_url(self) -> str:
        """Where users reach this server."""
        return self.base_url or f"http://{self.host}:{self.port}"

    @property
    def schedule_builds(self) -> int:
        """Reports built at once: ``schedule_concurrency``, within half of ``query_threads``."""
        return max(1, min(self.schedule_concurrency, self.query_threads // 2))

    @property
    def schedule_retry_delays(self) -> tuple[float, ...]:
        """The waits before each retry of a schedule's delivery (``schedule_retry_seconds``)."""
        return tuple(float(part) for part in self.schedule_retry_seconds.split(",") if part.strip())

    @property
    def results_dir(self) -> Path:
        """Folder of the on-disk results store."""
        return self.data_dir / "results"

    @property
    def demo_path(self) -> Path:
        """The demo warehouse's DuckDB file."""
        return self.data_dir / "demo.duckdb"


def env_name(field: str) -> str:
    """The environment variable of a settings field."""
    return ENV_PREFIX + field.upper()


def _type_name(annotation: object) -> str:
    args = get_args(annotation)
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    names = [a for a in args if a is not type(None)] if args else [annotation]
    text = " or ".join(getattr(a, "__name__", str(a)) for a in names)
    text = text.replace("SecretStr", "secret")
    return f"{text} (optional)" if type(None) in args else text


def settings_markdown() -> str:
    """The configuration table, as the README shows it."""
    lines = ["| Variable | Type | Default | Description |", "|---|---|---|---|"]
    for name, info in Settings.model_fields.items():
        value = info.default
        if info.default_factory is not None or value is None:
            default = "(see description)"
        else:
            default = f"`{str(value).lower() if isinstance(value, bool) else value}`"
        kind = _type_name(info.annotation)
        lines.append(f"| `{env_name(name)}` | {kind} | {default} | {info.description} |")
    return "\n".join(lines) + "\n"
