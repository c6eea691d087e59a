"""The users page (admins): add a local account, change its role, set its password, deactivate
and reactivate it; never yourself."""

from __future__ import annotations

import pytest
from playwright.sync_api import APIRequestContext, Page, Playwright, expect

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e


def can_sign_in(playwright: Playwright, server: Server, username: str, password: str) -> bool:
    api = playwright.request.new_context(base_url=server.url)
    try:
        token = api.get("/api/v1/auth/csrf").json()["csrf_token"]
        answer = api.post(
            "/api/v1/auth/login",
            data={"username": username, "password": password},
            headers={"X-CSRF-Token": token},
        )
        return answer.ok
    finally:
        api.dispose()


def test_add_change_role_set_password_deactivate(
    admin_page: Page, playwright: Playwright, server: Server
) -> None:
    page = admin_page
    page.goto("/users")
    me = page.locator("tr[data-user=admin]")
    expect(me.locator(".pill.you")).to_have_text("you")
    expect(me.get_by_test_id("user-role")).to_be_disabled()
    expect(me.get_by_role("button", name="Deactivate")).to_have_count(0)

    page.get_by_test_id("add-user").click()
    dialog = page.locator("#add-user-dialog")
    dialog.get_by_label("Username").fill("newbie")
    dialog.get_by_label("Display name").fill("New Bie")
    dialog.get_by_label("Email").fill("newbie@example.com")
    dialog.get_by_label("Role").select_option("editor")
    dialog.get_by_label("Password", exact=True).fill("newbie-password")
    dialog.get_by_label("Password again").fill("newbie-passw0rd")
    dialog.get_by_test_id("add-user-submit").click()
    expect(dialog.get_by_role("alert")).to_have_text("The two passwords differ.")
    dialog.get_by_label("Password again").fill("newbie-password")
    dialog.get_by_test_id("add-user-submit").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#users-flash")).to_have_text("Added newbie (editor).")

    row = page.locator("tr[data-user=newbie]")
    expect(row).to_contain_text("New Bie")
    expect(row).to_contain_text("newbie@example.com")
    expect(row.locator(".pill.local")).to_have_text("Password")
    expect(row.get_by_test_id("user-role")).to_have_value("editor")
    expect(row.get_by_test_id("user-status")).to_have_text("Active")

    # The server's refusal, said in the dialog.
    page.get_by_test_id("add-user").click()
    dialog.get_by_label("Username").fill("newbie")
    dialog.get_by_label("Password", exact=True).fill("another-password")
    dialog.get_by_label("Password again").fill("another-password")
    dialog.get_by_test_id("add-user-submit").click()
    expect(dialog.get_by_role("alert")).to_contain_text("already exists")
    dialog.get_by_role("button", name="Cancel").click()

    row.get_by_test_id("user-role").select_option("viewer")
    expect(page.locator("#users-flash")).to_have_text("newbie is now viewer.")

    row.get_by_role("button", name="Set password…").click()
    password = page.locator("#password-set-dialog")
    password.get_by_label("Password", exact=True).fill("fresh-password")
    password.get_by_label("Password again").fill("fresh-password")
    password.get_by_role("button", name="Set password").click()
    expect(page.locator("#users-flash")).to_have_text("New password set for newbie.")
    assert can_sign_in(playwright, server, "newbie", "fresh-password")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Deactivate").click()
    expect(row.get_by_test_id("user-status")).to_have_text("Deactivated")
    assert not can_sign_in(playwright, server, "newbie", "fresh-password")
    row.get_by_role("button", name="Reactivate").click()
    expect(row.get_by_test_id("user-status")).to_have_text("Active")
    assert can_sign_in(playwright, server, "newbie", "fresh-password")

    page.reload()  # what the server holds
    expect(row.get_by_test_id("user-role")).to_have_value("viewer")
    expect(row.get_by_test_id("user-status")).to_have_text("Active")


def test_groups_and_time_zone_that_budgets_follow(
    admin_page: Page, admin_api: APIRequestContext
) -> None:
    created = admin_api.post(
        "/api/v1/users",
        data={"username": "grouped", "password": "grouped-password", "role": "editor"},
    )
    assert created.ok, created.text()
    page = admin_page
    page.goto("/users")
    row = page.locator("tr[data-user=grouped]")
    expect(row.get_by_test_id("user-groups")).to_contain_text("server's time zone")
    row.get_by_role("button", name="Edit…").click()
    dialog = page.locator("#user-groups-dialog")
    dialog.get_by_test_id("user-groups-input").fill("finance, analysts,  ")
    dialog.get_by_test_id("user-timezone-input").fill("Mars/Base")
    dialog.get_by_test_id("user-groups-save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("unknown time zone 'Mars/Base'")
    dialog.get_by_test_id("user-timezone-input").fill("Europe/Paris")
    dialog.get_by_test_id("user-groups-save").click()
    expect(dialog).to_have_count(0)
    expect(row.locator(".pill.group")).to_have_text(["analysts", "finance"])
    expect(row.get_by_test_id("user-groups")).to_contain_text("Europe/Paris")
    found = next(u for u in admin_api.get("/api/v1/users").json() if u["username"] == "grouped")
    assert (found["groups"], found["timezone"]) == (["analysts", "finance"], "Europe/Paris")
