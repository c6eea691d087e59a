"""Audit events through the API: a schedule's life (created, changed, paused by its owner or
by Belvedere, resumed, deleted) and the owner's confirmation that recipients see their rows,
each with who and when; admins only; filtered and paged like the runs; expired with them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from belvedere.audit import retention
from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.store.models import AuditEvent, utcnow
from tests.support.web.client import Client

EVENTS = "/api/v1/audit/events"


def saved_query(client: Client, connection: str = "demo") -> int:
    body = {"connection": connection, "name": "Regions", "sql": "SELECT 1 AS one"}
    response = client.post("/api/v1/saved-queries", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def schedule(target_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Monday regions",
        "target": {"kind": "saved_query", "id": target_id},
        "cron": "0 8 * * 1",
        "channel": "email",
        "recipients": ["boss@example.com"],
        **overrides,
    }


def created(client: Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/schedules", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def events(client: Client, **filters: Any) -> list[dict[str, Any]]:
    response = client.get(EVENTS, params=filters)
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


@pytest.fixture
def per_user_query(client: Client, services: Services) -> int:
    """A saved query on a BigQuery connection that queries as each user (nothing is run)."""
    services.connections.add(
        "bq", "bigquery", {"project": "test-project", "auth": "none", "identity": "user_oauth"}
    )
    return saved_query(client, connection="bq")


def test_the_confirmation_is_recorded_with_who_and_when_and_so_is_its_withdrawal(
    client: Client, services: Services, per_user_query: int
) -> None:
    services.users.create("alice", Role.EDITOR, None, email="alice@example.com")
    outside = ["alice@example.com", "stranger@example.org"]
    asked_at = utcnow()
    body = created(
        client,
        schedule(per_user_query, recipients=outside, recipients_see_owner_data=True),
    )
    url = f"/schedules#schedule-{body['id']}"

    confirmation, creation = events(client)
    assert (confirmation["action"], confirmation["actor"]) == ("confirmation_given", "admin")
    assert asked_at <= datetime.fromisoformat(confirmation["at"]) <= utcnow()
    assert (confirmation["object_kind"], confirmation["object_id"]) == ("schedule", str(body["id"]))
    assert confirmation["object_url"] == url
    assert confirmation["details"] == {"name": "Monday regions", "recipients": outside}
    assert confirmation["summary"] == (
        "Confirmed that the recipients of schedule “Monday regions” see the owner's rows "
        "(alice@example.com, stranger@example.org)."
    )
    assert (creation["action"], creation["actor"]) == ("schedule_created", "admin")
    assert creation["summary"] == (
        "Created schedule “Monday regions”: saved query "
        f"{per_user_query} to alice@example.com, stranger@example.org, run as owner."
    )

    # Withdrawn (the stranger goes too: without a confirmation only users may receive it).
    withdrawn = client.patch(
        f"/api/v1/schedules/{body['id']}",
        json={"recipients_see_owner_data": False, "recipients": ["alice@example.com"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    withdrawal, change = events(client, limit=2)
    assert (withdrawal["action"], withdrawal["actor"]) == ("confirmation_withdrawn", "admin")
    assert withdrawal["summary"] == (
        "Withdrew the confirmation that the recipients of schedule “Monday regions” see the "
        "owner's rows."
    )
    assert change["action"] == "schedule_changed"
    assert change["details"]["changed"] == {
        "recipients": {"added": [], "removed": ["stranger@example.org"]}
    }


def test_a_refused_change_records_nothing(client: Client, per_user_query: int) -> None:
    refused = client.post(
        "/api/v1/schedules",
        json=schedule(per_user_query, recipients=["stranger@example.org"]),
    )
    assert refused.status_code == 422
    body = created(client, schedule(saved_query(client)))
    bad = client.patch(f"/api/v1/schedules/{body['id']}", json={"cron": "every monday"})
    assert bad.status_code == 422
    assert [e["action"] for e in events(client)] == ["schedule_created"]


def test_a_schedules_life_changed_paused_resumed_deleted(
    client: Client, services: Services
) -> None:
    body = created(client, schedule(saved_query(client)))
    url = f"/api/v1/schedules/{body['id']}"
    changed = client.patch(url, json={"cron": "0 9 * * 1", "webhook_secret": ""})
    assert changed.status_code == 200, changed.text
    client.patch(url, json={"active": False})
    client.patch(url, json={"active": True})
    services.schedules.repository.pause(body["id"], "Connect your Google account to query bq.")
    services.schedules.repository.pause(body["id"], "Again.")  # paused already: nothing new
    assert client.delete(url).status_code == 204

    found = events(client)
    assert [(e["action"], e["actor"]) for e in found] == [
        ("schedule_deleted", "admin"),
        ("schedule_paused", None),  # by Belvedere
        ("schedule_resumed", "admin"),
        ("schedule_paused", "admin"),
        ("schedule_changed", "admin"),
        ("schedule_created", "admin"),
    ]
    assert {e["object_url"] for e in found} == {None}  # the schedule is gone
    assert found[1]["details"]["reason"] == "Connect your Google account to query bq."
    assert found[1]["summary"] == (
        "Paused schedule “Monday regions”: Connect your Google account to query bq."
    )
    assert found[4]["details"]["changed"] == {"cron": ["0 8 * * 1", "0 9 * * 1"]}
    assert found[4]["summary"] == (
        "Changed schedule “Monday regions”: cron from 0 8 * * 1 to 0 9 * * 1."
    )


def test_a_webhooks_url_and_secret_are_named_never_shown(client: Client) -> None:
    secret = "a-webhook-secret-of-some-length"
    hook = {
        "channel": "webhook",
        "recipients": [],
        "webhook_url": "https://hooks.example.com/T1/B2",
        "webhook_secret": secret,
    }
    body = created(client, schedule(saved_query(client), **hook))
    changed = client.patch(
        f"/api/v1/schedules/{body['id']}",
        json={"webhook_url": "https://hooks.example.com/T3/B4", "webhook_secret": secret[::-1]},
    )
    assert changed.status_code == 200, changed.text

    response = client.get(EVENTS)
    for hidden in ("T1/B2", "T3/B4", secret, secret[::-1]):
        assert hidden not in response.text
    change, creation = response.json()["events"]
    assert change["details"]["changed"] == {"webhook_url": None, "webhook_secret": None}
    assert change["summary"] == ("Changed schedule “Monday regions”: webhook url, webhook secret.")
    assert creation["details"]["webhook"] == "hooks.example.com"


def test_filters_and_pages(
    client: Client, app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    editor = app_client().login(make_user("ed", Role.EDITOR))
    first = created(client, schedule(saved_query(client)))
    second = created(editor, schedule(saved_query(editor), name="Ed's"))
    editor.patch(f"/api/v1/schedules/{second['id']}", json={"active": False})

    assert [e["action"] for e in events(client, actor="ed")] == [
        "schedule_paused",
        "schedule_created",
    ]
    assert [e["actor"] for e in events(client, action="schedule_created")] == ["ed", "admin"]
    only_first = events(client, object_kind="schedule", object_id=str(first["id"]))
    assert [e["action"] for e in only_first] == ["schedule_created"]
    assert events(client, since=(utcnow() + timedelta(minutes=1)).isoformat()) == []
    assert len(events(client, until=(utcnow() + timedelta(minutes=1)).isoformat())) == 3
    assert client.get(EVENTS, params={"action": "no_such_action"}).status_code == 422

    page = client.get(EVENTS, params={"limit": 2}).json()
    assert [e["action"] for e in page["events"]] == ["schedule_paused", "schedule_created"]
    rest = client.get(EVENTS, params={"limit": 2, "before": page["next_before"]}).json()
    assert [e["object_id"] for e in rest["events"]] == [str(first["id"])]
    assert rest["next_before"] is None and rest["retention_days"] == 365


def test_events_are_for_admins_only(
    app_client: Callable[[], Client], make_user: Callable[[str, Role], str]
) -> None:
    for name, role in (("ed", Role.EDITOR), ("vi", Role.VIEWER)):
        response = app_client().login(make_user(name, role)).get(EVENTS)
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "Your role may not read the audit log."


def test_retention_expires_events_with_the_runs(client: Client, services: Services) -> None:
    old = created(client, schedule(saved_query(client), name="Old"))
    created(client, schedule(saved_query(client), name="New"))
    with services.db.session() as s:
        s.execute(
            update(AuditEvent)
            .where(AuditEvent.object_id == str(old["id"]))
            .values(at=utcnow() - timedelta(days=366))
        )

    assert retention.expire_records(services.audit, 365) == 1
    assert [e["details"]["name"] for e in events(client)] == ["New"]
