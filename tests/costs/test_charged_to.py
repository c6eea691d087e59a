"""Who pays for a schedule run as each recipient: its owner, who asked for it. Its runs are
held to the owner's cap and budgets (and may use the owner's one-off raise), and count in the
owner's spend, never in the recipients': an editor cannot spend alice's budget by scheduling
an expensive query to her, nor spend beyond their own through others'."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from belvedere.auth.roles import Role
from belvedere.costs.model import Scope
from belvedere.costs.periods import Period, describe_reset, window
from belvedere.schedules.model import DeliveryRecord, DeliveryStatus
from belvedere.services import Services
from belvedere.settings import Settings
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.spend import SpendStore
from belvedere.warehouses.internal.spend import SpendRows
from tests.costs.bq import GB, dry_runs_say, jobs_bill, queries_run, set_rule, user_id
from tests.costs.ledger import ran
from tests.identity.helpers import SALES_SQL, belvedere, settings_for
from tests.identity.test_dashboards_per_viewer import bar_spec, identity_options
from tests.support.bigquery.secure import SecureSales
from tests.support.delivery import Received, mail_server
from tests.support.faults import HttpProxy
from tests.support.google import GoogleService
from tests.support.identity import GrpcIdentityProxy
from tests.support.web.client import PASSWORD, Client, MakeClient, app_clients

PARIS = ZoneInfo("Europe/Paris")
TICK = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
#: 8:00 on 29 February: the app's own ticker never delivers while a test runs.
NEVER_NOW = "0 8 29 2 *"
RECIPIENTS = ["alice@example.com", "bob@example.com"]


@dataclass
class World:
    services: Services
    clients: MakeClient
    mail: list[Received]
    server: Client
    """A client on whose event loop deliveries run, as the server's would."""
    sales: SecureSales

    def deliver(self, schedule_id: int, tick: datetime) -> dict[str, DeliveryRecord]:
        """Deliver one tick of the schedule; its deliveries by recipient."""
        runner = self.services.schedule_runner
        record = runner.schedules.get(schedule_id)
        assert record is not None

        async def deliver() -> list[DeliveryRecord]:
            return await runner.deliver(record, tick)

        assert self.server.portal is not None
        found = self.server.portal.call(deliver)
        return {str(d.recipient): d for d in found}


def spend_by_user(client: Client) -> dict[str, int]:
    """``GET /api/v1/spend?by=user`` around now: bytes billed by user."""
    now = datetime.now(UTC)
    around = {
        "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(days=1)).isoformat(),
    }
    answer = client.get("/api/v1/spend", params={**around, "by": "user"})
    assert answer.status_code == 200, answer.text
    return {r["user"]: r["bytes_billed"] for r in answer.json()["rows"]}


@pytest.fixture
def world(
    tmp_path: Path,
    google: GoogleService,
    identity_rest_proxy: HttpProxy,
    identity_grpc_proxy: GrpcIdentityProxy,
    secure_sales: SecureSales,
) -> Iterator[World]:
    """Belvedere (server in Europe/Paris) sending mail to a loopback SMTP server, with a
    BigQuery connection ``bq`` on the emulator that queries as each user (impersonation,
    through the identity proxy, which answers dry runs as :mod:`tests.costs.bq` says);
    editors ``carol`` (the schedules' owner), ``alice`` and ``bob``."""
    with mail_server() as (port, received):
        settings = settings_for(
            tmp_path / "data",
            google,
            timezone="Europe/Paris",
            smtp_url=f"smtp://127.0.0.1:{port}",
            smtp_timeout_seconds=5,
            schedule_retry_seconds="",
            base_url="http://belvedere.test",
        )
        with belvedere(settings) as (services, make):
            options = {
                "project": secure_sales.project,
                **identity_options("impersonation", google),
                "api_endpoint": identity_rest_proxy.url,
                "storage_api_endpoint": identity_grpc_proxy.target,
                "storage_api_insecure": True,
            }
            services.connections.add("bq", "bigquery", options)
            yield World(services, make, received, make(), secure_sales)


def scheduled_to_recipients(owner: Client, chart: dict[str, Any] | None = None) -> int:
    """A saved query of the owner's (or a chart of ``chart``), scheduled to alice and bob,
    run as each of them."""
    if chart is None:
        target = owner.post(
            "/api/v1/saved-queries",
            json={"connection": "bq", "name": "Big scan", "sql": SALES_SQL},
        )
    else:
        target = owner.post(
            "/api/v1/charts", json={"name": "Big scan", "connection": "bq", "spec": chart}
        )
    assert target.status_code == 201, target.text
    made = owner.post(
        "/api/v1/schedules",
        json={
            "name": "Big scan",
            "target": {"kind": "chart" if chart else "saved_query", "id": target.json()["id"]},
            "cron": NEVER_NOW,
            "timezone": "UTC",
            "channel": "email",
            "recipients": RECIPIENTS,
            "run_as": "recipient",
        },
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def statuses(deliveries: dict[str, DeliveryRecord]) -> dict[str, DeliveryStatus]:
    return {address: d.status for address, d in deliveries.items()}


@pytest.mark.bigquery
def test_a_schedule_run_as_each_recipient_is_paid_for_by_its_owner(
    world: World, identity_rest_proxy: HttpProxy
) -> None:
    services, proxy = world.services, identity_rest_proxy
    carol, alice = user_id(services, "carol"), user_id(services, "alice")
    set_rule(services, Scope.ROLE, "editor", daily=100 * GB)  # alice's and bob's: plenty
    set_rule(services, Scope.USER, str(carol), daily=10 * GB)  # the owner's own: 10 GB a day
    owner = world.clients().login("carol")
    schedule = scheduled_to_recipients(owner)
    drawn = scheduled_to_recipients(owner, chart=bar_spec(world.sales))
    proxy.clear()
    dry_runs_say(proxy, 4 * GB)
    jobs_bill(proxy, 4 * GB)

    first = world.deliver(schedule, TICK)

    assert statuses(first) == dict.fromkeys(RECIPIENTS, DeliveryStatus.SENT)
    runs = [services.runs.get(i) for d in first.values() for i in d.run_ids]
    # Each ran as its recipient, charged to the owner.
    assert sorted((r.actor, r.charged_to, r.bytes_billed) for r in runs if r is not None) == [
        ("alice", carol, 4 * GB),
        ("bob", carol, 4 * GB),
    ]
    admin = world.clients().login()
    assert spend_by_user(admin) == {"carol": 8 * GB}  # not alice's, not bob's
    assert len(queries_run(proxy)) == 2

    # 2 GB left of the owner's budget: the next tick is refused for both recipients, although
    # each has 100 GB of their own left, and no job starts.
    second = world.deliver(schedule, TICK + timedelta(days=1))

    assert statuses(second) == dict.fromkeys(RECIPIENTS, DeliveryStatus.FAILED)
    resets = describe_reset(window(Period.DAY, PARIS, utcnow()).resets_at, PARIS)
    refusal = (
        "This query would process 4.0 GB, more than the 2.0 GB left of the schedule owner's "
        f"daily budget of 10.0 GB on bq (it resets at {resets}). No job was started. An admin "
        "can grant a one-off raise."
    )
    assert {d.message for d in second.values()} == {refusal}
    assert len(queries_run(proxy)) == 2
    # The recipients' own budgets are untouched: alice spent nothing, and runs her own query.
    since = utcnow() - timedelta(days=1)
    assert services.cost_store.spent("bq", [alice], since) == 0
    alice_client = world.clients().login("alice")
    [budget] = alice_client.get("/api/v1/spend/budgets").json()
    assert (budget["user"], budget["spent"], budget["limit"]) == ("alice", 0, 100 * GB)
    own = alice_client.post(
        "/api/v1/runs", json={"connection": "bq", "sql": SALES_SQL, "wait_ms": 30_000}
    )
    assert (own.status_code, own.json()["status"]) == (200, "succeeded"), own.text
    assert spend_by_user(admin) == {"carol": 8 * GB, "alice": 4 * GB}
    assert spend_by_user(alice_client) == {"alice": 4 * GB}  # her own only

    # A one-off raise of the owner's lets one of the owner's queries past: one recipient's.
    granted = admin.post(
        "/api/v1/cost-raises",
        json={"user": "carol", "connection": "bq", "max_bytes": 5 * GB, "reason": "year end"},
    )
    assert granted.status_code == 201, granted.text
    third = world.deliver(schedule, TICK + timedelta(days=2))

    assert sorted(statuses(third).values()) == [DeliveryStatus.FAILED, DeliveryStatus.SENT]
    [sent] = [d for d in third.values() if d.status is DeliveryStatus.SENT]
    [used] = services.cost_store.raises(user_id=carol)
    assert used.used_by_run == sent.run_ids[0]
    assert spend_by_user(admin)["carol"] == 12 * GB

    # A chart scheduled to the recipients is the owner's to pay for as well.
    charted = world.deliver(drawn, TICK + timedelta(days=3))
    assert statuses(charted) == dict.fromkeys(RECIPIENTS, DeliveryStatus.FAILED)
    assert {d.message.split(" (it resets")[0] for d in charted.values()} == {
        "This query would process 4.0 GB, more than the 0 B left of the schedule owner's "
        "daily budget of 10.0 GB on bq"
    }


def charge(services: Services, run_id: str, payer: int) -> None:
    """Charge a recorded run to ``payer``."""
    with services.db.session() as s:
        s.execute(update(QueryRun).where(QueryRun.id == run_id).values(charged_to=payer))


def test_spend_counts_a_run_for_whoever_it_is_charged_to(
    make_settings: Callable[..., Settings], metadata_url: str
) -> None:
    services = Services(make_settings(database_url=metadata_url))
    services.first_start()
    try:
        at = utcnow() - timedelta(minutes=5)
        own = ran(services, "ann", 1 * GB, at)
        charged = ran(services, "ann", 5 * GB, at, surface="schedule")
        eve = services.users.create("eve", Role.EDITOR, PASSWORD).id
        ann = user_id(services, "ann")
        charge(services, charged, eve)
        since = at - timedelta(minutes=1)
        store = services.cost_store
        assert store.spent("bq", [ann], since) == 1 * GB
        assert store.spent("bq", [eve], since) == 5 * GB
        assert store.spent("bq", [ann, eve], since) == 6 * GB  # a group of both: each run once
        assert sorted(SpendStore(services.db).spenders("bq", since)) == sorted([ann, eve])
        rows = SpendRows(services.db, 6.25)  # the built-in connection's spend table
        assert [(r["run_id"], r["user"]) for r in rows.runs(ann).to_pylist()] == [(own, "ann")]
        assert [(r["run_id"], r["user"]) for r in rows.runs(eve).to_pylist()] == [(charged, "eve")]
        with app_clients(services) as make:
            assert spend_by_user(make().login()) == {"ann": GB, "eve": 5 * GB}
            eve_client = make().login("eve")
            assert spend_by_user(eve_client) == {"eve": 5 * GB}
            top = eve_client.get("/api/v1/spend/top").json()
            assert [(r["run_id"], r["user"]) for r in top] == [(charged, "eve")]
    finally:
        services.close()
