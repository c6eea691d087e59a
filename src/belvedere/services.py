"""Everything a server or a command needs, built once from settings."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from belvedere.audit.log import AuditLog
from belvedere.auth.oidc import OIDCSignIn
from belvedere.auth.roles import Role
from belvedere.auth.throttle import SignInThrottle, ThrottlePolicy
from belvedere.catalog.service import CatalogService
from belvedere.charts.library import SavedCharts
from belvedere.charts.service import ChartService
from belvedere.charts.thumbnails import Thumbnails
from belvedere.cluster.bus import open_bus
from belvedere.cluster.celery import broker_client, create_celery
from belvedere.cluster.dispatch import QueueRunner, task_box
from belvedere.cluster.invalidation import wire_bus
from belvedere.concurrency import Lane, Pools
from belvedere.connections.internal import InternalConnection
from belvedere.connections.secrets import SecretSealer
from belvedere.connections.service import ConnectionService
from belvedere.costs.accounting import Accounting, Price, groups_by_user
from belvedere.costs.alerts import BudgetAlerts
from belvedere.costs.guard import CostGuard
from belvedere.costs.policy import CostPolicy
from belvedere.costs.rules_admin import CostAdmin
from belvedere.costs.standing import Standings
from belvedere.dashboards.costs import DashboardCosts
from belvedere.dashboards.service import DashboardService
from belvedere.demo.generate import generate_demo_in_child
from belvedere.execution.fresh import FreshResults
from belvedere.execution.local import LocalRunner
from belvedere.execution.progress import ProgressBoard
from belvedere.execution.requests import Limits
from belvedere.execution.runner import Runner
from belvedere.execution.service import ExecutionService
from belvedere.execution.worker import Worker
from belvedere.home.service import HomeService
from belvedere.identity.authorize import WarehouseAuthorizations
from belvedere.identity.flows import PendingFlows
from belvedere.identity.revocation import Revocation
from belvedere.identity.service import IdentityService
from belvedere.identity.vault import TokenVault
from belvedere.observability import process_metrics
from belvedere.queries.service import SavedQueryService
from belvedere.results import open_results
from belvedere.schedules.content import ReportBuilder
from belvedere.schedules.delivery.email import SmtpSender
from belvedere.schedules.delivery.images import ImageLinks
from belvedere.schedules.delivery.webhook import WebhookSender
from belvedere.schedules.runner import ScheduleRunner
from belvedere.schedules.service import ScheduleService
from belvedere.security.keys import load_secret_key
from belvedere.security.secretbox import SecretBox
from belvedere.settings import Settings
from belvedere.store.audit import AuditRecords
from belvedere.store.audit_events import AuditEvents
from belvedere.store.budget_notices import BudgetNotices
from belvedere.store.charts import Charts
from belvedere.store.connections import Connections
from belvedere.store.costs import CostStore
from belvedere.store.dashboards import Dashboards
from belvedere.store.db import Database
from belvedere.store.favourites import FavouriteStore
from belvedere.store.meta import Facts
from belvedere.store.runs import Runs
from belvedere.store.saved_queries import SavedQueries
from belvedere.store.schedules import Schedules
from belvedere.store.sessions import SessionPolicy, Sessions
from belvedere.store.spend import SpendStore
from belvedere.store.users import Users
from belvedere.warehouses.internal.spend import SpendRows

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

    def __init__(self, settings: Settings, *, migrate_in_child: bool = False) -> None:
        """``migrate_in_child``: pending migrations run in a child process (a server's start:
        Alembic's memory is not kept for its lifetime)."""
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.secret_key = load_secret_key(settings)
        self.db = Database(settings.metadata_url)
        self.db.migrate(in_child=migrate_in_child)
        self.bus = open_bus(settings.broker_url)
        self.progress = ProgressBoard(self.bus)
        """How far running queries got (reported by their workers on the bus)."""
        self.users = Users(self.db)
        self.cost_store = CostStore(self.db)
        self.costs = CostPolicy(self.cost_store, self.users, settings)
        """Caps, budgets and raises of connections billed by bytes (costs/)."""
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
            Connections(self.db),
            SecretSealer(SecretBox(self.secret_key, "connections")),
            self.identity,
            self.pools,
        )
        self.connections.internal = InternalConnection(
            SpendRows(self.db, settings.price_per_tib), self.costs.zone
        )
        self.flows = PendingFlows(self.db, SecretBox(self.secret_key, "flows"))
        self.authorizations = WarehouseAuthorizations(
            settings, self.connections, self.identity, self.flows
        )
        self.oidc = OIDCSignIn(settings, self.flows, self.users)
        self.runs = Runs(self.db)
        self.broker = broker_client(settings.broker_url) if settings.broker_url else None
        """This process's client of the broker's Redis (heartbeats, sweeps, metrics)."""
        self.metrics = process_metrics(self.runs, self.pools, self.broker)
        self.runs.on_end.append(self.metrics.run_ended)
        self.revocation = Revocation(self.identity, self.connections, self.runs)
        self.connections.on_change.append(self.revocation.connection)
        self.results = open_results(settings)
        runner: Runner
        fresh = None
        if settings.broker_url:  # runs go to Celery workers (cluster/runtime.py runs them)
            runner = QueueRunner(
                create_celery(settings.broker_url),
                self.runs,
                self.bus,
                self.pools,
                task_box(self.secret_key),
            )
        else:
            fresh = FreshResults()  # the run's worker and its waiter share this process
            worker = self.worker(fresh=fresh, alongside=self.pools.io)
            runner = LocalRunner(self.runs, self.pools, worker)
        self.execution = ExecutionService(
            self.runs,
            self.connections,
            self.results,
            Limits(
                timeout_seconds=settings.query_timeout_seconds,
                max_result_rows=settings.max_result_rows,
                export_max_rows=settings.export_max_rows,
            ),
            self.pools,
            runner,
            self.bus,
            self.metrics,
            task_box(self.secret_key),
            fresh,
            costs=self.costs,
        )
        self.catalog = CatalogService(
            self.connections,
            self.pools,
            settings.catalog_ttl_seconds,
            parallel_schemas=settings.catalog_parallel_schemas,
        )
        self.connections.on_forget.append(self.catalog.forget)
        self.revocation.on_forget.append(self.catalog.forget)
        saved_queries = SavedQueries(self.db)
        self.saved_queries = SavedQueryService(
            saved_queries, self.connections, self.users, self.pools.io
        )
        self.chart_data = ChartService(
            self.execution,
            saved_queries,
            self.pools,
            default_ttl_seconds=settings.chart_cache_ttl_seconds,
        )
        charts = Charts(self.db)
        self.charts = SavedCharts(charts, self.chart_data, self.pools.io)
        self.chart_thumbnails = Thumbnails(self.db, self.execution, self.pools.io)
        self.dashboards = DashboardService(
            Dashboards(self.db), charts, self.users, self.chart_data, self.pools.io
        )
        self.home = HomeService(
            FavouriteStore(self.db),
            charts,
            Dashboards(self.db),
            saved_queries,
            self.users,
            self.pools.io,
        )
        """Favourites and recent items of the Home page."""
        self.dashboard_costs = DashboardCosts(
            self.dashboards,
            self.chart_data,
            self.execution,
            confirm_bytes=settings.refresh_confirm_bytes,
        )
        self.schedules = ScheduleService(
            Schedules(self.db, SecretBox(self.secret_key, "schedules")),
            self.users,
            self.saved_queries,
            self.charts,
            self.dashboards,
            self.connections,
            self.pools.io,
        )
        self.audit = AuditLog(AuditRecords(self.db), AuditEvents(self.db))
        spend = SpendStore(self.db)
        self.spend = Accounting(
            spend,
            lambda: groups_by_user(self.users),
            Price(settings.price_per_tib, settings.currency),
        )
        """Spend rolled up from the runs (costs/accounting.py)."""
        self.cost_admin = CostAdmin(self.cost_store, self.connections, self.users)
        self.budgets = Standings(self.costs, self.users, spend)
        self.budget_alerts = BudgetAlerts(
            self.budgets,
            self.costs,
            BudgetNotices(self.db),
            self.users,
            SmtpSender.from_settings(settings),
            f"{settings.public_url}/spend",
        )
        self.facts = Facts(self.db)
        self.schedule_images = ImageLinks(
            settings.data_dir / "schedule-images", settings.schedule_image_ttl_hours * 3600
        )
        self.schedule_runner = ScheduleRunner(
            self.schedules.repository,
            self.users,
            ReportBuilder(
                self.execution,
                self.chart_data,
                charts,
                saved_queries,
                self.dashboards,
                self.users,
                self.pools,
                settings.public_url,
            ),
            self.pools,
            retry_seconds=settings.schedule_retry_delays,
            concurrency=settings.schedule_builds,
            smtp=SmtpSender.from_settings(settings),
            webhook=WebhookSender(
                settings.webhook_timeout_seconds, allow_private=settings.webhook_allow_private
            ),
            images=self.schedule_images,
        )
        self.schedules.send = self.schedule_runner.send_now
        wire_bus(self)  # changes reach every process: cluster/invalidation.py

    def worker(
        self,
        *,
        name: str | None = None,
        queue: str = "local",
        fresh: FreshResults | None = None,
        alongside: Lane | None = None,
    ) -> Worker:
        """What runs one query into the results store: in this process (``local``), or on a
        Celery worker (``name``: ``host:pid:nonce``; ``queue``: the queue it takes runs from);
        ``fresh`` and ``alongside``: see :class:`Worker`."""
        return Worker(
            self.runs,
            self.results,
            self.connections.backend,
            self.revocation.grant,
            self.metrics,
            name=name,
            queue=queue,
            fresh=fresh,
            alongside=alongside,
            guard=CostGuard(self.costs),
            progress=self.progress,
        )

    def first_start(self) -> FirstStart:
        """Create the admin account and the demo warehouse if this installation lacks them
        (one process at a time: several servers may start together on a new database)."""
        with self.db.exclusive("belvedere first start"):
            return self._first_start()

    def _first_start(self) -> FirstStart:
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
        if self.settings.demo and not self.facts.get("demo_registered"):
            path = self.settings.demo_path
            if not path.exists():
                log.info("generating the demo warehouse at %s", path)
                generate_demo_in_child(path)  # its memory goes when the child ends
            if not self.connections.exists(DEMO_CONNECTION):
                self.connections.add(
                    DEMO_CONNECTION, "duckdb", {"path": str(path), "read_only": True}
                )
            self.facts.set("demo_registered", "1")
            created.demo_created = True
        return created

    def close(self) -> None:
        """Release live backends, the lanes and database connections."""
        self.catalog.forget_all()  # and start no more of a loading catalog's schemas
        self.connections.close()
        self.bus.close()
        self.metrics.close()
        if self.broker is not None:
            self.broker.close()
        self.pools.shutdown()
        self.db.dispose()
