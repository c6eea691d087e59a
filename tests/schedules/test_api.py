"""Schedules through the API: create, read, change, pause, delete and send one's own; every
bad field a 422 that names it with nothing saved; other people's schedules read as missing;
the webhook secret never shown; data of per-user connections kept from people outside."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from belvedere.auth.roles import Role
from belvedere.schedules.model import DeliveryStatus, ScheduleRecord
from belvedere.services import Services
from tests.support.web.client import Client

QUERY = {
    "connection": "demo",
    "name": "Regions",
    "sql": "SELECT region, count(*) AS n FROM customers GROUP BY 1",
}
BAR = {
    "type": "bar",
    "source": {"kind": "table", "schema": "main", "table": "sales"},
    "dimensions": ["region"],
    "metrics": [{"agg": "sum", "column": "line_total", "label": "revenue"}],
}
SECRET = "a-webhook-secret-of-some-length"


def saved_query(client: Client, **overrides: Any) -> int:
    response = client.post("/api/v1/saved-queries", json={**QUERY, **overrides})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def chart(client: Client) -> int:
    response = client.post(
        "/api/v1/charts", json={"name": "Revenue", "connection": "demo", "spec": BAR}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def dashboard(client: Client) -> int:
    response = client.post("/api/v1/dashboards", json={"title": "Monday"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def schedule(target_id: int, kind: str = "saved_query", **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Monday regions",
        "target": {"kind": kind, "id": target_id},
        "cron": "0 8 * * 1",
        "timezone": "Europe/Paris",
        "channel": "email",
        "recipients": ["boss@example.com"],
        **overrides,
    }


def refused(response: Any, field: str) -> str:
    """The message of a 422 that names ``field``."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_schedule", field), error
    return str(error["message"])


def test_create_read_change_pause_resume_delete(client: Client) -> None:
    target = saved_query(client)
    created = client.post("/api/v1/schedules", json=schedule(target))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["target"] == {"kind": "saved_query", "id": target}
    assert (body["owner"], body["mine"], body["run_as"], body["active"]) == (
        "admin",
        True,
        "owner",
        True,
    )
    assert (body["recipients"], body["webhook_signed"], body["alert"]) == (
        ["boss@example.com"],
        False,
        None,
    )
    assert body["last_run_at"] is None and body["last_status"] is None
    assert [s["id"] for s in client.get("/api/v1/schedules").json()] == [body["id"]]
    assert client.get(f"/api/v1/schedules/{body['id']}").json() == body

    url = f"/api/v1/schedules/{body['id']}"
    changed = client.patch(
        url,
        json={
            "name": "Regions, weekly",
            "recipients": ["a@example.com", "A@example.com", " b@example.org "],
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Regions, weekly"
    assert changed.json()["recipients"] == ["a@example.com", "b@example.org"]  # each once, trimmed
    assert changed.json()["next_run_at"] == body["next_run_at"]  # the timing did not change

    paused = client.patch(url, json={"active": False}).json()
    assert (paused["active"], paused["next_run_at"]) == (False, None)
    resumed = client.patch(url, json={"active": True}).json()
    assert (resumed["active"], resumed["paused_reason"]) == (True, None)
    assert resumed["next_run_at"] == body["next_run_at"]

    assert client.delete(url).status_code == 204
    gone = client.get(url)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "schedule_not_found"
    assert client.get("/api/v1/schedules").json() == []


def test_next_run_is_at_8_in_the_schedules_time_zone(client: Client) -> None:
    target = saved_query(client)
    body = client.post("/api/v1/schedules", json=schedule(target, cron="0 8 * * *")).json()
    local = datetime.fromisoformat(body["next_run_at"]).astimezone(ZoneInfo("Europe/Paris"))
    assert (local.hour, local.minute) == (8, 0)
    moved = client.patch(
        f"/api/v1/schedules/{body['id']}", json={"timezone": "America/New_York"}
    ).json()
    local = datetime.fromisoformat(moved["next_run_at"]).astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (8, 0)


def test_an_alert_on_a_chart_and_a_report_of_a_dashboard(client: Client) -> None:
    alert = {"condition": "above", "value": 1000, "renotify_minutes": 60}
    watched = client.post("/api/v1/schedules", json=schedule(chart(client), "chart", alert=alert))
    assert watched.status_code == 201, watched.text
    assert watched.json()["alert"] == {**alert, "column": None, "alerting": False}
    report = client.post("/api/v1/schedules", json=schedule(dashboard(client), "dashboard"))
    assert report.status_code == 201, report.text
    cleared = client.patch(f"/api/v1/schedules/{watched.json()['id']}", json={"alert": None})
    assert cleared.json()["alert"] is None


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("invalid cron", {"cron": "every monday"}, "cron"),
    ("cron out of range", {"cron": "0 25 * * *"}, "cron"),
    ("unknown time zone", {"timezone": "Europe/Atlantis"}, "timezone"),
    ("not an address", {"recipients": ["boss@example.com", "not-an-address"]}, "recipients"),
    ("an address without a domain", {"recipients": ["boss@"]}, "recipients"),
    ("an address with spaces", {"recipients": ["the boss@example.com"]}, "recipients"),
    ("e-mail without recipients", {"recipients": []}, "recipients"),
    ("e-mail with a webhook URL", {"webhook_url": "https://hooks.example.com/x"}, "webhook_url"),
    ("webhook without URL", {"channel": "webhook", "recipients": []}, "webhook_url"),
    (
        "webhook not http",
        {"channel": "webhook", "recipients": [], "webhook_url": "ftp://example.com/x"},
        "webhook_url",
    ),
    (
        "webhook to a cloud metadata server",
        {"channel": "webhook", "recipients": [], "webhook_url": "http://169.254.169.254/latest"},
        "webhook_url",
    ),
    (
        "webhook with recipients",
        {"channel": "webhook", "webhook_url": "https://hooks.example.com/x"},
        "recipients",
    ),
    ("threshold without value", {"alert": {"condition": "below"}}, "alert.value"),
    ("run as recipient on a shared identity", {"run_as": "recipient"}, "run_as"),
    ("blank name", {"name": "   "}, "name"),
]


@pytest.mark.parametrize(("what", "change", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_fields_are_named_and_nothing_is_saved(
    client: Client, what: str, change: dict[str, Any], field: str
) -> None:
    target = saved_query(client)
    message = refused(client.post("/api/v1/schedules", json=schedule(target, **change)), field)
    assert message.endswith(".") and len(message) < 400
    assert client.get("/api/v1/schedules").json() == []

    kept = client.post("/api/v1/schedules", json=schedule(target)).json()
    refused(client.patch(f"/api/v1/schedules/{kept['id']}", json=schedule(target, **change)), field)
    assert client.get(f"/api/v1/schedules/{kept['id']}").json() == kept  # the change not saved


def test_the_invalid_cron_message_says_what_a_cron_is(client: Client) -> None:
    message = refused(
        client.post("/api/v1/schedules", json=schedule(saved_query(client), cron="0 8 * *")), "cron"
    )
    assert "five fields" in message and "minute hour day-of-month month day-of-week" in message


def test_alerts_watch_queries_and_charts_not_dashboards(client: Client) -> None:
    body = schedule(dashboard(client), "dashboard", alert={"condition": "any_rows"})
    refused(client.post("/api/v1/schedules", json=body), "alert")
    assert client.get("/api/v1/schedules").json() == []


def test_a_target_the_owner_cannot_see_is_refused(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    private = saved_query(client)
    shared = saved_query(client, name="Shared", shared=True)
    admins_chart, admins_board = chart(client), dashboard(client)
    olga = app_client().login(make_user("olga", Role.EDITOR))
    for body in (
        schedule(private),
        schedule(999_999),
        schedule(admins_chart, "chart"),
        schedule(admins_board, "dashboard"),
    ):
        message = refused(olga.post("/api/v1/schedules", json=body), "target")
        assert "can see" in message
    assert olga.get("/api/v1/schedules").json() == []
    assert olga.post("/api/v1/schedules", json=schedule(shared)).status_code == 201
    # and a change of target is checked the same way
    mine = olga.get("/api/v1/schedules").json()[0]
    refused(
        olga.patch(
            f"/api/v1/schedules/{mine['id']}",
            json={"target": {"kind": "saved_query", "id": private}},
        ),
        "target",
    )


def test_another_editors_schedule_reads_as_missing(
    client: Client,
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
    services: Services,
) -> None:
    sent: list[ScheduleRecord] = []

    async def send(record: ScheduleRecord) -> None:
        sent.append(record)

    services.schedules.send = send
    olga = app_client().login(make_user("olga", Role.EDITOR))
    theirs = olga.post("/api/v1/schedules", json=schedule(saved_query(olga))).json()
    pia = app_client().login(make_user("pia", Role.EDITOR))
    url = f"/api/v1/schedules/{theirs['id']}"
    for response in (
        pia.get(url),
        pia.patch(url, json={"name": "mine now"}),
        pia.delete(url),
        pia.post(f"{url}/send"),
        pia.get(f"{url}/deliveries"),
        pia.get("/api/v1/schedules/999999"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "schedule_not_found"
    assert pia.get("/api/v1/schedules").json() == []
    assert sent == []
    # an admin sees and manages everyone's
    assert [s["owner"] for s in client.get("/api/v1/schedules").json()] == ["olga"]
    assert client.get(url).json()["mine"] is False
    assert client.post(f"{url}/send").status_code == 202
    assert [r.id for r in sent] == [theirs["id"]]
    assert olga.post(f"{url}/send").status_code == 202
    assert olga.get(url).json()["name"] == "Monday regions"


def test_viewers_may_not_schedule(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    viewer = app_client().login(make_user("vera", Role.VIEWER))
    assert viewer.get("/api/v1/schedules").status_code == 403
    assert viewer.post("/api/v1/schedules", json=schedule(1)).json()["error"]["code"] == "forbidden"


def test_the_webhook_secret_is_never_shown(client: Client, services: Services) -> None:
    body = schedule(
        saved_query(client),
        channel="webhook",
        recipients=[],
        webhook_url="https://hooks.example.com/T1/B2",
        webhook_secret=SECRET,
    )
    created = client.post("/api/v1/schedules", json=body)
    assert created.status_code == 201, created.text
    shown = created.json()
    assert shown["webhook_signed"] is True and "webhook_secret" not in shown
    url = f"/api/v1/schedules/{shown['id']}"
    for response in (
        created,
        client.get(url),
        client.get("/api/v1/schedules"),
        client.patch(url, json={"name": "Hook"}),
    ):
        assert SECRET not in response.text
    assert services.schedules.repository.webhook_secret(shown["id"]) == SECRET.encode()
    # The URL of an incoming webhook is a credential too: its host is shown, and it is sealed.
    assert shown["webhook_url"] == "https://hooks.example.com/…"
    assert "T1/B2" not in client.get(url).text
    record = services.schedules.repository.get(shown["id"])
    assert record is not None and record.webhook_url == "https://hooks.example.com/T1/B2"
    with services.db.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT sealed_webhook_url FROM schedules").scalar()
    assert stored is not None and b"hooks.example.com" not in bytes(stored)

    renamed = client.patch(url, json={"name": "Hooked"}).json()
    assert renamed["webhook_signed"] is True  # left out: kept
    assert client.patch(url, json={"webhook_secret": "short"}).status_code == 422
    assert client.patch(url, json={"webhook_secret": None}).status_code == 422
    assert client.patch(url, json={"webhook_secret": ""}).json()["webhook_signed"] is False
    assert services.schedules.repository.webhook_secret(shown["id"]) is None
    # switching to e-mail drops the URL
    emailed = client.patch(
        url, json={"channel": "email", "recipients": ["boss@example.com"]}
    ).json()
    assert (emailed["webhook_url"], emailed["webhook_signed"]) == (None, False)


def test_deliveries_newest_first_and_limited(client: Client, services: Services) -> None:
    created = client.post("/api/v1/schedules", json=schedule(saved_query(client))).json()
    store = services.schedules.repository
    for attempt in (1, 2, 3):
        delivery = store.start_delivery(created["id"], None, "boss@example.com", attempt)
        store.end_delivery(delivery, DeliveryStatus.FAILED, f"550 refused ({attempt})", ["r1"])
    url = f"/api/v1/schedules/{created['id']}/deliveries"
    found = client.get(url).json()
    assert [d["attempt"] for d in found] == [3, 2, 1]
    assert (found[0]["status"], found[0]["message"], found[0]["run_ids"]) == (
        "failed",
        "550 refused (3)",
        ["r1"],
    )
    assert [d["attempt"] for d in client.get(url, params={"limit": 2}).json()] == [3, 2]
    assert client.get(url, params={"limit": 201}).status_code == 422
    assert client.get(f"/api/v1/schedules/{created['id']}").json()["last_status"] == "failed"


@pytest.fixture
def per_user_query(client: Client, services: Services) -> int:
    """A saved query on a BigQuery connection that queries as each user (nothing is run)."""
    services.connections.add(
        "bq", "bigquery", {"project": "test-project", "auth": "none", "identity": "user_oauth"}
    )
    return saved_query(client, connection="bq", sql="SELECT 1")


def test_people_outside_need_a_confirmation_on_per_user_connections(
    client: Client, services: Services, per_user_query: int
) -> None:
    services.users.create("alice", Role.EDITOR, None, email="Alice@Example.com")
    outside = schedule(per_user_query, recipients=["alice@example.com", "stranger@example.org"])
    message = refused(client.post("/api/v1/schedules", json=outside), "recipients")
    assert "stranger@example.org is not a Belvedere user" in message and "connection bq" in message
    hook = schedule(
        per_user_query, channel="webhook", recipients=[], webhook_url="https://hooks.example.com/x"
    )
    refused(client.post("/api/v1/schedules", json=hook), "webhook_url")
    assert client.get("/api/v1/schedules").json() == []

    insiders = client.post(
        "/api/v1/schedules", json=schedule(per_user_query, recipients=["ALICE@example.com"])
    )
    assert insiders.status_code == 201, insiders.text
    assert insiders.json()["confirmed_by"] is None

    confirmed = client.post(
        "/api/v1/schedules", json={**outside, "recipients_see_owner_data": True}
    )
    assert confirmed.status_code == 201, confirmed.text
    body = confirmed.json()
    assert (body["recipients_see_owner_data"], body["confirmed_by"]) == (True, "admin")
    assert body["confirmed_at"] is not None
    withdrawn = client.patch(
        f"/api/v1/schedules/{body['id']}", json={"recipients_see_owner_data": False}
    )
    refused(withdrawn, "recipients")


def test_as_each_recipient_needs_a_per_user_connection(client: Client, per_user_query: int) -> None:
    body = schedule(per_user_query, run_as="recipient", recipients=["stranger@example.org"])
    created = client.post("/api/v1/schedules", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["run_as"] == "recipient"
    refused(
        client.post("/api/v1/schedules", json=schedule(saved_query(client), run_as="recipient")),
        "run_as",
    )


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE mine.copied AS SELECT * FROM hr.salaries",
        "EXPORT DATA OPTIONS (uri = 'gs://mine/*.csv', format = 'CSV') AS SELECT * FROM hr.salaries",
        "SELECT 1; DELETE FROM hr.salaries WHERE TRUE",
        "INSERT INTO mine.copied SELECT * FROM hr.salaries",
    ],
)
def test_as_each_recipient_a_saved_query_may_only_read(
    client: Client, services: Services, per_user_query: int, sql: str
) -> None:
    # Run as each recipient, the owner's SQL acts with the recipients' rights: it must not be
    # able to copy their data somewhere the owner reads it.
    writer = saved_query(client, connection="bq", sql=sql)
    body = schedule(writer, run_as="recipient", recipients=["alice@example.com"])
    assert "only read data" in refused(client.post("/api/v1/schedules", json=body), "run_as")
    assert client.get("/api/v1/schedules").json() == []
