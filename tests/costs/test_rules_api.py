"""Admins set cost rules and grant one-off raises through the API: checked (only connections
billed by bytes, known roles and users, a limit at least), and each change audited in words;
users see their own raises, and set their own time zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from belvedere.audit.events import EventRecord, summary
from belvedere.auth.roles import Role
from belvedere.costs.model import Raise
from belvedere.costs.rules_admin import raise_used_event
from belvedere.services import Services
from tests.support.web.client import PASSWORD, Client, MakeClient, app_clients

GB, TB = 1024**3, 1024**4
RULES = "/api/v1/cost-rules"
RAISES = "/api/v1/cost-raises"
#: A BigQuery connection that is never reached (rules and raises need no query).
UNREACHED = {"project": "p", "auth": "none", "api_endpoint": "http://127.0.0.1:9"}


@pytest.fixture
def clients(services: Services) -> Iterator[MakeClient]:
    services.connections.add("bq", "bigquery", {**UNREACHED, "maximum_bytes_billed": 10 * TB})
    for name in ("ann", "bob"):
        services.users.create(name, Role.VIEWER, PASSWORD)
    with app_clients(services) as make:
        yield make


@pytest.fixture
def admin(clients: MakeClient) -> Client:
    return clients().login()


def summaries(admin: Client, kind: str) -> list[str]:
    events = admin.get("/api/v1/audit/events", params={"object_kind": kind}).json()["events"]
    return [e["summary"] for e in reversed(events)]  # oldest first


def error(response: Any) -> tuple[int, str, str | None, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body.get("field"), body["message"]


def test_rules_set_changed_and_deleted_are_audited(admin: Client) -> None:
    created = admin.post(
        RULES,
        json={
            "connection": "bq",
            "scope": "role",
            "subject": "viewer",
            "max_bytes_per_query": 100 * GB,
            "daily_bytes": TB,
        },
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert {k: rule[k] for k in ("connection", "scope", "subject", "who", "updated_by")} == {
        "connection": "bq",
        "scope": "role",
        "subject": "viewer",
        "who": "role viewer",
        "updated_by": "admin",
    }
    own = admin.post(
        RULES, json={"connection": "bq", "scope": "user", "subject": "ann", "monthly_bytes": TB}
    ).json()
    assert (own["subject"], own["who"]) == ("ann", "user ann")
    changed = admin.patch(
        f"{RULES}/{rule['id']}", json={"daily_bytes": None, "monthly_bytes": 5 * TB}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["daily_bytes"], changed.json()["monthly_bytes"]) == (None, 5 * TB)
    listed = admin.get(RULES, params={"connection": "bq"}).json()
    assert [(r["scope"], r["subject"]) for r in listed] == [("role", "viewer"), ("user", "ann")]
    assert admin.delete(f"{RULES}/{own['id']}").status_code == 204
    assert admin.delete(f"{RULES}/{own['id']}").json()["error"]["code"] == "cost_rule_not_found"
    assert summaries(admin, "cost_rule") == [
        "Set the cost rule of role viewer on bq: cap per query from none to 100.0 GB, daily "
        "budget from none to 1.0 TB.",
        "Set the cost rule of user ann on bq: monthly budget from none to 1.0 TB.",
        "Set the cost rule of role viewer on bq: daily budget from 1.0 TB to none, monthly "
        "budget from none to 5.0 TB.",
        "Deleted the cost rule of user ann on bq (cap per query none, daily budget none, "
        "monthly budget 1.0 TB).",
    ]


def test_a_rule_that_cannot_hold_is_refused_saying_why(admin: Client) -> None:
    demo = admin.post(
        RULES, json={"connection": "demo", "scope": "role", "subject": "viewer", "daily_bytes": 1}
    )
    assert error(demo) == (
        422,
        "invalid_cost_change",
        "connection",
        "Connection demo (duckdb) is not billed by bytes: caps, budgets and raises do not "
        "apply to it.",
    )
    role = admin.post(
        RULES, json={"connection": "bq", "scope": "role", "subject": "boss", "daily_bytes": 1}
    )
    assert error(role)[:3] == (422, "invalid_cost_change", "subject")
    nobody = admin.post(
        RULES, json={"connection": "bq", "scope": "user", "subject": "zed", "daily_bytes": 1}
    )
    assert error(nobody) == (422, "invalid_cost_change", "subject", "No user named 'zed'.")
    empty = admin.post(RULES, json={"connection": "bq", "scope": "group", "subject": "analysts"})
    assert error(empty)[:3] == (422, "invalid_cost_change", "max_bytes_per_query")
    gone = admin.post(
        RULES, json={"connection": "nope", "scope": "group", "subject": "x", "daily_bytes": 1}
    )
    assert error(gone)[:2] == (404, "connection_not_found")
    assert summaries(admin, "cost_rule") == []


def test_connections_say_where_rules_apply(admin: Client) -> None:
    found = {c["name"]: c for c in admin.get(f"{RULES}/connections").json()}
    assert found["bq"] == {
        "name": "bq",
        "kind": "bigquery",
        "bills_bytes": True,
        "cap": 10 * TB,
        "note": None,
    }
    assert found["demo"]["bills_bytes"] is False
    assert found["demo"]["note"] == "not billed by bytes: caps and budgets do not apply"


def test_only_admins_set_rules_and_grant_raises(clients: MakeClient) -> None:
    ann = clients().login("ann")
    assert ann.get(RULES).status_code == 403
    rule = {"connection": "bq", "scope": "user", "subject": "ann", "daily_bytes": 1}
    assert ann.post(RULES, json=rule).status_code == 403
    grant = {"user": "ann", "connection": "bq", "max_bytes": TB, "reason": "me"}
    assert ann.post(RAISES, json=grant).status_code == 403


def test_a_raise_granted_seen_by_its_user_and_revoked_is_audited(
    admin: Client, clients: MakeClient
) -> None:
    before = datetime.now(UTC)
    response = admin.post(
        RAISES,
        json={"user": "ann", "connection": "bq", "max_bytes": 2 * TB, "reason": "Q4 backfill"},
    )
    assert response.status_code == 201, response.text
    granted = response.json()
    assert {k: granted[k] for k in ("user", "connection", "max_bytes", "granted_by", "state")} == {
        "user": "ann",
        "connection": "bq",
        "max_bytes": 2 * TB,
        "granted_by": "admin",
        "state": "usable",
    }
    expires = datetime.fromisoformat(granted["expires_at"])
    assert before + timedelta(hours=24) <= expires <= datetime.now(UTC) + timedelta(hours=24)
    assert [r["id"] for r in clients().login("ann").get(RAISES).json()] == [granted["id"]]
    assert clients().login("bob").get(RAISES).json() == []
    revoked = admin.delete(f"{RAISES}/{granted['id']}")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert summaries(admin, "cost_raise") == [
        f"Granted ann a one-off raise to 2.0 TB on bq until {expires:%Y-%m-%d %H:%M} UTC: "
        "Q4 backfill",
        "Revoked ann's one-off raise to 2.0 TB on bq.",
    ]
    assert admin.delete(f"{RAISES}/999").json()["error"]["code"] == "cost_raise_not_found"


def test_a_raise_lasts_seven_days_at_most(admin: Client) -> None:
    grant = {"user": "ann", "connection": "bq", "max_bytes": TB, "reason": "x"}
    too_long = admin.post(RAISES, json={**grant, "expires_in_hours": 169})
    assert too_long.status_code == 422
    on_demo = admin.post(RAISES, json={**grant, "connection": "demo"})
    assert error(on_demo)[:3] == (422, "invalid_cost_change", "connection")


def test_users_set_their_own_time_zone(clients: MakeClient, admin: Client) -> None:
    ann = clients().login("ann")
    changed = ann.patch("/api/v1/auth/me", json={"timezone": "Pacific/Auckland"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["user"]["timezone"] == "Pacific/Auckland"
    assert ann.get("/api/v1/auth/me").json()["user"]["timezone"] == "Pacific/Auckland"
    same = ann.patch("/api/v1/auth/me", json={"timezone": "Pacific/Auckland"})
    assert same.status_code == 200


def test_a_time_zone_once_set_is_changed_by_an_admin(
    clients: MakeClient, admin: Client, services: Services
) -> None:
    """Moving one's midnight would start a new day of budget (Auckland's day starts 21 hours
    before Honolulu's): after the first choice, only an admin moves it."""
    ann = clients().login("ann")
    wrong = ann.patch("/api/v1/auth/me", json={"timezone": "Mars/Olympus"})
    assert wrong.status_code == 422
    assert "unknown time zone 'Mars/Olympus'" in wrong.json()["error"]["message"]
    assert ann.patch("/api/v1/auth/me", json={"timezone": "Pacific/Honolulu"}).status_code == 200
    for moved in ("Pacific/Auckland", ""):
        refused = ann.patch("/api/v1/auth/me", json={"timezone": moved})
        assert error(refused)[:2] == (403, "timezone_locked")
        assert refused.json()["error"]["message"] == (
            "Your time zone is Pacific/Honolulu. Your budgets reset at its midnight, so only "
            "an admin can change it."
        )
    assert ann.get("/api/v1/auth/me").json()["user"]["timezone"] == "Pacific/Honolulu"
    found = services.users.by_username("ann")
    assert found is not None
    by_admin = admin.patch(f"/api/v1/users/{found.id}", json={"timezone": "Pacific/Auckland"})
    assert by_admin.json()["timezone"] == "Pacific/Auckland"
    assert admin.patch("/api/v1/auth/me", json={"timezone": "Europe/Paris"}).status_code == 200
    assert admin.patch("/api/v1/auth/me", json={"timezone": ""}).json()["user"]["timezone"] is None


def test_admins_set_the_groups_of_accounts_with_a_password(
    admin: Client, services: Services
) -> None:
    ann = services.users.by_username("ann")
    assert ann is not None
    response = admin.patch(
        f"/api/v1/users/{ann.id}",
        json={"groups": ["analysts", "finance"], "timezone": "Asia/Tokyo"},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["groups"], response.json()["timezone"]) == (
        ["analysts", "finance"],
        "Asia/Tokyo",
    )


def test_a_raise_used_reads_in_words() -> None:
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    found = Raise(4, 2, "bq", 2 * TB, "why", 1, at, at + timedelta(days=1), None, None, None)
    draft = raise_used_event(found, "ann", "r1", 3 * TB // 2)
    event = EventRecord(1, at, 2, "ann", draft.action, draft.object_kind, "4", draft.details)
    assert (
        summary(event)
        == "Run r1 used ann's one-off raise to 2.0 TB on bq (it would process 1.5 TB)."
    )
    bare = {"run_id": "r1", "connection": "bq", "estimate": 3 * TB // 2}  # the guard's own
    event = EventRecord(1, at, 2, "ann", draft.action, draft.object_kind, "4", bare)
    assert summary(event) == "Run r1 used one-off raise 4 on bq (it would process 1.5 TB)."
