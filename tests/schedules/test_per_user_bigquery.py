"""Schedules on a per-user BigQuery connection (the emulator, with ROW ACCESS POLICIES: north
rows for alice, south rows for bob, none for carol), delivered by e-mail to a loopback SMTP
server: a report run as each recipient gives alice her rows and bob his in the same tick, each
queried and audited as them, never as the owner; a report run as its owner gives everyone the
owner's rows once the owner confirmed it; a recipient without a grant (never given, or revoked
at Google) is asked to connect and sent no one's rows; a revoked grant of the owner pauses the
schedule and tells the owner how to reconnect."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from belvedere.audit.records import AuditFilter
from belvedere.auth.roles import Role
from belvedere.schedules.model import DeliveryRecord, DeliveryStatus, ScheduleRecord
from belvedere.services import Services
from belvedere.store.runs import RunRecord
from tests.identity.helpers import SALES_SQL, authorize, belvedere, local, settings_for
from tests.identity.test_dashboards_per_viewer import (
    MODES,
    bar_spec,
    by_region,
    identity_options,
    principal,
)
from tests.schedules.scheduling import attachment, csv_rows, html_of
from tests.support.bigquery.emulator import Emulator
from tests.support.bigquery.secure import SecureSales, seed_secure_sales
from tests.support.delivery import Received, mail_server
from tests.support.faults import HttpProxy
from tests.support.google import GoogleService
from tests.support.identity import GrpcIdentityProxy
from tests.support.images import colours_in, open_png
from tests.support.web.client import PASSWORD, Client, MakeClient

pytestmark = pytest.mark.bigquery

TICK = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
#: The schedules' cron: 8:00 on 29 February, so that the app's own ticker never delivers one
#: while a test runs (the tests give the ticks).
NEVER_NOW = "0 8 29 2 *"
BASE_URL = "http://belvedere.test"
RECONNECT = f"{BASE_URL}/auth/warehouse/start?connection=bq&next=%2Fsqllab"
OUTSIDER = "outsider@example.org"
NORTH = [["north", 10], ["north", 20], ["north", 40]]
SOUTH = [["south", 30], ["south", 50]]


def email(name: str) -> str:
    return f"{name}@example.com"


@dataclass
class World:
    """Belvedere on the secured table in one identity mode, sending to ``mail``; kept for the
    module (the users' grants and sign-ins with it)."""

    mode: str
    services: Services
    make_client: MakeClient
    google: GoogleService
    rest: HttpProxy
    grpc: GrpcIdentityProxy
    sales: SecureSales
    mail: list[Received]
    server: Client
    """A client whose event loop the deliveries run on, as the server's would."""
    clients: dict[str, Client] = field(default_factory=dict)

    def user(self, name: str, *, authorized: bool = True) -> Client:
        """``name`` signed in (and, on user_oauth, having authorized the connection once)."""
        if name not in self.clients:
            client = self.make_client().login(name)
            if authorized and self.mode == "user_oauth":
                assert authorize(client, self.google, "bq", email(name)) == "/sqllab"
            self.clients[name] = client
        return self.clients[name]

    def principal(self, name: str) -> str:
        return principal(self.mode, name)

    def queried_as(self) -> set[str | None]:
        """Whom the emulator saw each query (REST) and each read (Storage API) as, since the
        last look."""
        callers = [
            r.sent_headers.get("x-bqemu-caller") if r.sent_headers else None
            for r in self.rest.requests
            if r.sql is not None
        ]
        callers += self.grpc.callers()
        self.rest.clear()
        self.grpc.clear()
        return set(callers)

    def stored(self, schedule_id: int) -> ScheduleRecord:
        found = self.services.schedule_runner.schedules.get(schedule_id)
        assert found is not None
        return found

    def deliver(self, schedule_ids: list[int], tick: datetime) -> list[list[DeliveryRecord]]:
        """Deliver the schedules' ``tick`` all at once, on the server's event loop."""
        runner = self.services.schedule_runner
        records = [self.stored(i) for i in schedule_ids]

        async def all_at_once() -> list[list[DeliveryRecord]]:
            return list(await asyncio.gather(*(runner.deliver(r, tick) for r in records)))

        assert self.server.portal is not None
        return self.server.portal.call(all_at_once)

    def mail_to(self, address: str) -> dict[str, EmailMessage]:
        """The messages ``address`` received, by subject (one each)."""
        found = [m.message for m in self.mail if m.recipients == [address]]
        by_subject = {str(m["Subject"]): m for m in found}
        assert len(by_subject) == len(found), [m["Subject"] for m in found]
        return by_subject

    def runs(self, deliveries: list[DeliveryRecord]) -> list[RunRecord]:
        """The audit log's records of the runs behind ``deliveries``."""
        ids = {run_id for d in deliveries for run_id in d.run_ids}
        found = self.services.audit.find(AuditFilter(surface="schedule"), limit=500)
        return [r for r in found if r.id in ids]


@pytest.fixture(scope="module")
def worlds(
    tmp_path_factory: pytest.TempPathFactory,
    _google_service: GoogleService,
    _identity_rest_proxy: HttpProxy,
    _identity_grpc_proxy: GrpcIdentityProxy,
    bq_emulator: Emulator,
) -> Iterator[Callable[[str], World]]:
    """A maker of this module's worlds, one per mode, each made on first use. The session's
    Google stand-in and proxies are used as they are (their per-test fixtures reset them,
    which would end the grants the worlds keep), reset once here and checked at the end."""
    google, rest, grpc = _google_service, _identity_rest_proxy, _identity_grpc_proxy
    google.reset()
    rest.reset()
    rest.clear()
    rest.errors.clear()
    grpc.clear()
    grpc.errors.clear()
    sales = seed_secure_sales(bq_emulator)
    made: dict[str, World] = {}
    with ExitStack() as stack:
        port, received = stack.enter_context(mail_server())

        def world(mode: str) -> World:
            if mode in made:
                return made[mode]
            settings = settings_for(
                tmp_path_factory.mktemp(f"belvedere-{mode}"),
                google,
                smtp_url=f"smtp://127.0.0.1:{port}",
                smtp_timeout_seconds=5,
                schedule_retry_seconds="",
                base_url=BASE_URL,
            )
            services, make_client = stack.enter_context(belvedere(settings))
            services.users.create("dave", Role.EDITOR, PASSWORD, email=email("dave"))
            services.connections.add(
                "bq",
                "bigquery",
                {
                    "project": sales.project,
                    **identity_options(mode, google),
                    "api_endpoint": rest.url,
                    "storage_api_endpoint": grpc.target,
                    "storage_api_insecure": True,
                },
            )
            made[mode] = World(
                mode, services, make_client, google, rest, grpc, sales, received, make_client()
            )
            return made[mode]

        yield world
    rest.reset()
    errors = [*google.errors, *rest.errors, *grpc.errors]
    if errors:
        pytest.fail(f"errors inside the Google stand-in or the identity proxies: {errors!r}")


@pytest.fixture
def fresh(worlds: Callable[[str], World]) -> Callable[[str], World]:
    """The world of a mode, with no mail and no recorded query from earlier tests."""

    def get(mode: str) -> World:
        world = worlds(mode)
        world.mail.clear()
        world.queried_as()
        return world

    return get


def saved_query(owner: Client) -> int:
    made = owner.post(
        "/api/v1/saved-queries", json={"connection": "bq", "name": "Sales rows", "sql": SALES_SQL}
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def chart(owner: Client, sales: SecureSales) -> int:
    made = owner.post(
        "/api/v1/charts",
        json={"name": "Sales by region", "connection": "bq", "spec": bar_spec(sales)},
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def create(
    owner: Client, name: str, kind: str, target_id: int, recipients: list[str], **extra: Any
) -> Any:
    return owner.post(
        "/api/v1/schedules",
        json={
            "name": name,
            "target": {"kind": kind, "id": target_id},
            "cron": NEVER_NOW,
            "timezone": "UTC",
            "channel": "email",
            "recipients": recipients,
            **extra,
        },
    )


def schedule(
    owner: Client, name: str, kind: str, target_id: int, recipients: list[str], **extra: Any
) -> int:
    made = create(owner, name, kind, target_id, recipients, **extra)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def html_table(message: EmailMessage) -> list[list[str]]:
    """The rows of the HTML table of a one-section report (no header)."""
    [table] = re.findall(r"<table[^>]*>(.*?)</table>", html_of(message), re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [
        [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows[1:]
    ]


def as_text(rows: list[list[Any]]) -> list[list[str]]:
    return [[str(v) for v in row] for row in rows]


def by_recipient(deliveries: list[DeliveryRecord]) -> dict[str | None, DeliveryRecord]:
    found = {d.recipient: d for d in deliveries}
    assert len(found) == len(deliveries), deliveries  # one attempt each
    return found


@pytest.mark.parametrize("mode", MODES)
def test_as_each_recipient_alice_and_bob_get_their_own_rows_in_one_tick(
    fresh: Callable[[str], World], mode: str
) -> None:
    world = fresh(mode)
    for recipient in ("alice", "bob"):
        world.user(recipient)  # connected once, on user_oauth
    carol = world.user("carol")  # the owner: no policy grants her a row
    query, bars = saved_query(carol), chart(carol, world.sales)
    recipients = [email("alice"), email("bob")]
    ids = [
        schedule(carol, "Sales rows", "saved_query", query, recipients, run_as="recipient"),
        schedule(carol, "Sales by region", "chart", bars, recipients, run_as="recipient"),
    ]
    world.queried_as()  # forget the chart's column lookups

    deliveries = world.deliver(ids, TICK)

    for delivered in deliveries:
        assert {a: d.status for a, d in by_recipient(delivered).items()} == {
            email("alice"): DeliveryStatus.SENT,
            email("bob"): DeliveryStatus.SENT,
        }
    for name, rows in (("alice", NORTH), ("bob", SOUTH)):
        mail = world.mail_to(email(name))
        assert set(mail) == {"Sales rows", "Sales by region"}
        report = mail["Sales rows"]
        assert csv_rows(attachment(report, ".csv")) == [["region", "amount"], *as_text(rows)]
        assert html_table(report) == as_text(rows)
        assert f"{BASE_URL}/sqllab?saved={query}" in html_of(report)
        drawn = mail["Sales by region"]
        assert csv_rows(attachment(drawn, ".csv"))[1:] == as_text(by_region(rows))
        assert html_table(drawn) == as_text(by_region(rows))
        [png] = [p for p in drawn.walk() if p.get_content_type() == "image/png"]
        assert colours_in(open_png(png.get_content()))[1] > 0  # a chart, not a blank canvas
    assert world.queried_as() == {world.principal("alice"), world.principal("bob")}

    runs = world.runs([d for delivered in deliveries for d in delivered])
    assert len(runs) == 4  # a saved query and a chart, for each recipient
    assert all(r.surface == "schedule" and r.status == "succeeded" for r in runs)
    for run in runs:  # who the warehouse saw run it, as the audit log tells
        assert run.principal is not None and run.principal in world.principal(run.actor)
    actors = {r.id: r.actor for r in runs}
    for delivered in deliveries:
        for address, d in by_recipient(delivered).items():
            assert [actors[i] for i in d.run_ids] == [str(address).split("@")[0]]
    assert world.services.audit.find(AuditFilter(surface="schedule", user="carol"), limit=5) == []


@pytest.mark.parametrize("mode", MODES)
def test_as_owner_everyone_gets_the_owners_rows_once_confirmed(
    fresh: Callable[[str], World], mode: str
) -> None:
    world = fresh(mode)
    alice = world.user("alice")
    query = saved_query(alice)
    recipients = [email("alice"), email("bob"), OUTSIDER]
    unconfirmed = create(alice, "Alice's sales", "saved_query", query, recipients)
    assert unconfirmed.status_code == 422, unconfirmed.text
    error = unconfirmed.json()["error"]
    assert (error["field"], error["message"].split(" ")[0]) == ("recipients", OUTSIDER)
    made = create(
        alice, "Alice's sales", "saved_query", query, recipients, recipients_see_owner_data=True
    )
    assert made.status_code == 201, made.text
    assert (made.json()["run_as"], made.json()["confirmed_by"]) == ("owner", "alice")
    world.queried_as()

    [deliveries] = world.deliver([made.json()["id"]], TICK)

    assert {a: d.status for a, d in by_recipient(deliveries).items()} == dict.fromkeys(
        recipients, DeliveryStatus.SENT
    )
    for address in recipients:
        report = world.mail_to(address)["Alice's sales"]
        assert csv_rows(attachment(report, ".csv"))[1:] == as_text(NORTH)
        assert html_table(report) == as_text(NORTH)
    assert world.queried_as() == {world.principal("alice")}
    [run] = world.runs(deliveries)  # built once, sent to each
    assert (run.actor, run.surface, run.status) == ("alice", "schedule", "succeeded")


def test_a_recipient_without_a_grant_is_asked_to_connect_and_gets_no_rows(
    fresh: Callable[[str], World],
) -> None:
    world = fresh("user_oauth")
    world.user("alice")
    bob = world.user("bob")
    carol = world.user("carol")
    world.user("dave", authorized=False)  # a Belvedere user who never connected
    query = saved_query(carol)
    recipients = [email("alice"), email("bob"), email("dave")]
    made = schedule(carol, "Sales rows", "saved_query", query, recipients, run_as="recipient")
    world.google.revoke_user(email("bob"))  # bob removed Belvedere's access at Google
    world.google.expire_all()
    world.queried_as()

    [deliveries] = world.deliver([made], TICK)

    found = by_recipient(deliveries)
    assert found[email("alice")].status == DeliveryStatus.SENT
    report = world.mail_to(email("alice"))["Sales rows"]
    assert csv_rows(attachment(report, ".csv"))[1:] == as_text(NORTH)
    for name in ("bob", "dave"):
        asked = found[email(name)]
        assert (asked.status, asked.message, asked.run_ids) == (
            DeliveryStatus.SKIPPED,
            f"{name} is not connected to bq (never connected, or the grant was revoked); "
            "asked them to connect.",
            (),
        )
        [notice] = world.mail_to(email(name)).values()
        assert notice["Subject"] == "Connect to bq to receive Sales rows"
        body = html_of(notice)
        assert "could not query bq as you: " in html.unescape(body)
        assert RECONNECT in html.unescape(body)
        assert list(notice.iter_attachments()) == []
        assert "<table" not in body and "north" not in body and "south" not in body
    # Only alice's query ran: dave's never started, bob's failed at Google as his.
    assert world.queried_as() - {None} == {world.principal("alice")}
    runs = world.runs(deliveries)
    assert [(r.actor, r.status) for r in runs] == [("alice", "succeeded")]
    failed = world.services.audit.find(AuditFilter(surface="schedule", user="bob"), limit=50)
    assert failed[0].error_code == "authorization_required"
    assert world.services.audit.find(AuditFilter(surface="schedule", user="dave"), limit=5) == []
    assert authorize(bob, world.google, "bq", email("bob")) == "/sqllab"  # back, for what follows


@pytest.mark.parametrize("where", ["at_google", "in_belvedere"])
def test_a_revoked_grant_of_the_owner_pauses_the_schedule_and_tells_them(
    fresh: Callable[[str], World], where: str
) -> None:
    world = fresh("user_oauth")
    alice = world.user("alice")
    query = saved_query(alice)
    made = schedule(alice, "Alice's sales", "saved_query", query, [email("bob")])
    [before] = world.deliver([made], TICK)
    assert [d.status for d in before] == [DeliveryStatus.SENT]
    world.mail.clear()
    world.queried_as()
    revoked_at = datetime.now(UTC)

    if where == "at_google":  # she removed Belvedere's access in her Google account
        world.google.revoke_user(email("alice"))
        world.google.expire_all()
    else:  # she disconnected in Belvedere
        assert alice.delete("/api/v1/me/authorizations/bq").status_code == 204
    week = TICK + timedelta(days=7)
    [paused] = world.deliver([made], week)

    found = by_recipient(paused)
    assert found[email("bob")].status == DeliveryStatus.FAILED  # bob gets nothing
    assert found[email("alice")].status == DeliveryStatus.SKIPPED  # she was told
    [told] = world.mail
    assert told.recipients == [email("alice")]
    assert told.message["Subject"] == "Paused: Alice's sales"
    assert RECONNECT in html.unescape(html_of(told.message))
    assert list(told.message.iter_attachments()) == []
    shown = alice.get(f"/api/v1/schedules/{made}").json()
    assert shown["active"] is False
    assert shown["paused_reason"].endswith("Then resume this schedule (it runs as alice).")
    assert "connect your google account" in shown["paused_reason"].lower()
    [grant] = alice.get("/api/v1/me/authorizations").json()
    assert (grant["connection"], grant["authorized"]) == ("bq", False)
    # Revoked at Google, the run that found out failed as her; disconnected, nothing ran.
    failed = world.services.audit.find(AuditFilter(surface="schedule", since=revoked_at), limit=5)
    assert [(r.actor, r.status, r.error_code) for r in failed] == (
        [("alice", "failed", "authorization_required")] if where == "at_google" else []
    )
    assert world.queried_as() <= {world.principal("alice"), None}

    # She follows the link, connects again and resumes: bob gets her rows again.
    start = alice.get(local(RECONNECT), follow_redirects=False)
    assert start.status_code == 303, start.text
    back = world.google.consent(start.headers["location"], email("alice"))
    assert alice.get(local(back), follow_redirects=False).headers["location"] == "/sqllab"
    resumed = alice.patch(f"/api/v1/schedules/{made}", json={"active": True})
    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["active"], resumed.json()["paused_reason"]) == (True, None)
    world.mail.clear()
    [after] = world.deliver([made], week + timedelta(days=7))
    assert [d.status for d in after] == [DeliveryStatus.SENT]
    [report] = world.mail_to(email("bob")).values()
    assert csv_rows(attachment(report, ".csv"))[1:] == as_text(NORTH)
    assert world.queried_as() == {world.principal("alice")}
