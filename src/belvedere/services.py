"""Everything a server or a command needs, built once from settings."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from belvedere.audit.records import AuditLog
from belvedere.auth.oidc import OIDCSignIn
from belvedere.auth.roles import Role
from belvedere.auth.throttle import SignInThrottle, ThrottlePolicy
from belvedere.catalog.service import CatalogService
from belvedere.charts.service import ChartService
from belvedere.concurrency import Pools
from belvedere.connections.service import ConnectionService
from belvedere.demo.generate import generate_demo
from belvedere.execution.requests import Limits
from belvedere.execution.results import ResultsStore
from belvedere.execution.service import ExecutionService
from belvedere.identity.authorize import WarehouseAuthorizations
from belvedere.identity.flows import PendingFlows
from belvedere.identity.revocation import Revocation
from belvedere.identity.service import IdentityService
from belvedere.identity.vault import TokenVault
from belvedere.security.keys import load_secret_key
from belvedere.security.secretbox import SecretBox
from belvedere.settings import Settings
from belvedere.store.charts import Charts
from belvedere.store.dashboards import Dashboards
from belvedere.store.db import Database
from belvedere.store.models import Meta
from belvedere.store.runs import Runs
from belvedere.store.saved_queries import SavedQueries
from belvedere.store.sessions import SessionPolicy, Sessions
from belvedere.store.users import Users

log = logging.getLogger(__name__)

DEMO_CONNECTION = "demo"


@dataclass
class FirstStart:
    """What the first start created, to tell the operator once."""

    admin_username: str | None = None
    admin_password: str | None = None
    demo_created: bool = False


class Services:
    """The metadata store, repositories and the execution service, wired together."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.secret_key = load_secret_key(settings)
        self.db = Database(settings.metadata_url)
        self.db.migrate()
        self.users = Users(self.db)
        self.throttle = SignInThrottle(self.db, ThrottlePolicy.from_settings(settings))
        self.sessions = Sessions(
            self.db,
            SessionPolicy(
                idle=timedelta(minutes=settings.session_idle_minutes),
                absolute=timedelta(hours=settings.session_max_hours),
            ),
        )
        self.pools = Pools.create(
            remote_threads=settings.query_threads,
            embedded_threads=settings.embedded_query_threads or os.cpu_count() or 2,
        )
        self.identity = IdentityService(
            settings, TokenVault(self.db, SecretBox(self.secret_key, "grants"))
        )
        self.connections = ConnectionService(
            self.db, SecretBox(self.secret_key, "connections"), self.identity
        )
        self.flows = PendingFlows(self.db, SecretBox(self.secret_key, "flows"))
        self.authorizations = WarehouseAuthorizations(
            settings, self.connections, self.identity, self.flows
        )
        self.oidc = OIDCSignIn(settings, self.flows, self.users)
        self.runs = Runs(self.db)
        self.revocation = Revocation(self.identity, self.connections, self.runs)
        self.connections.on_change.append(self.revocation.connection)
        self.execution = ExecutionService(
            self.runs,
            self.connections,
            self.identity,
            ResultsStore(settings.results_dir, settings.results_budget_mb * 1024 * 1024),
            Limits(
                timeout_seconds=settings.query_timeout_seconds,
                max_result_rows=settings.max_result_rows,
                export_max_rows=settings.export_max_rows,
            ),
            remote_threads=settings.query_threads,
            embedded_threads=settings.embedded_query_threads or os.cpu_count() or 2,
        )
        self.catalog = CatalogService(self.execution, settings.catalog_ttl_seconds)
        self.connections.on_change.append(self.catalog.forget)
        self.saved_queries = SavedQueries(self.db)
        self.charts = Charts(self.db)
        self.dashboards = Dashboards(self.db)
        self.chart_data = ChartService(self.execution, self.saved_queries)
        self.audit = AuditLog(self.db)

    def first_start(self) -> FirstStart:
        """Create the admin account and the demo warehouse if this installation lacks them."""
        created = FirstStart()
        if self.users.count() == 0:
            password = (
                self.settings.admin_password.get_secret_value()
                if self.settings.admin_password
                else secrets.token_urlsafe(12)
            )
            self.users.create(self.settings.admin_username, Role.ADMIN, password)
            created.admin_username = self.settings.admin_username
            if self.settings.admin_password is None:
                created.admin_password = password
        if self.settings.demo and not self._meta("demo_registered"):
            path = self.settings.demo_path
            if not path.exists():
                log.info("generating the demo warehouse at %s", path)
                generate_demo(path)
            if not self.connections.exists(DEMO_CONNECTION):
                self.connections.add(
                    DEMO_CONNECTION, "duckdb", {"path": str(path), "read_only": True}
                )
            self._set_meta("demo_registered", "1")
            created.demo_created = True
        return created

    def _meta(self, key: str) -> str | None:
        with self.db.session() as s:
            return s.scalar(select(Meta.value).where(Meta.key == key))

    def _set_meta(self, key: str, value: str) -> None:
        with self.db.session() as s:
            s.merge(Meta(key=key, value=value))

    def close(self) -> None:
        """Release live backends and database connections."""
        self.connections.close()
        self.db.dispose()
