"""Signing in and out through the pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_PASSWORD, ready, watch

pytestmark = pytest.mark.e2e


def sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_wrong_password_shows_the_error_and_stays(page: Page) -> None:
    page.goto("/login")
    sign_in(page, "admin", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("button", name="Sign in")).to_be_enabled()


def test_sign_in_goes_to_the_page_asked_for_and_sign_out_ends_the_session(page: Page) -> None:
    page.goto("/connections")
    expect(page).to_have_url(re.compile(r"/login\?next=/connections$"))
    sign_in(page, "admin", ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/connections$"))
    expect(page.locator(".topbar .username")).to_have_text("admin")

    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/sqllab")
    expect(page).to_have_url(re.compile(r"/login\?next=/sqllab$"))


def test_change_password_from_the_user_menu(page_as: Callable[[str, str], Page]) -> None:
    page = page_as("pat", "editor")
    page.goto("/connections")
    page.locator("#change-password").click()
    dialog = page.locator("#password-dialog")
    dialog.get_by_label("Current password").fill("wrong-password")
    dialog.get_by_label("New password (8 characters or more)").fill("pat-new-password")
    dialog.get_by_label("New password again").fill("pat-new-password")
    dialog.get_by_role("button", name="Change password").click()
    expect(dialog.get_by_role("alert")).to_have_text("The current password is wrong.")

    dialog.get_by_label("Current password").fill("pat-password")
    dialog.get_by_role("button", name="Change password").click()
    expect(dialog.get_by_role("heading")).to_have_text("Password changed")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)

    page.locator("#sign-out").click()
    sign_in(page, "pat", "pat-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    sign_in(page, "pat", "pat-new-password")
    expect(page).to_have_url(re.compile(r":\d+/$"))  # the start page: Home
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()


def test_a_crafted_next_stays_data(page: Page) -> None:
    """Markup in ``next`` neither becomes elements nor navigates; the page still works."""
    problems = watch(page)
    attack = "/</script><meta http-equiv=refresh content=0;url=/api/v1/openapi.json>"
    page.goto(f"/login?next={quote(attack)}")
    ready(page)
    expect(page.locator("meta[http-equiv]")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert (
        page.evaluate("JSON.parse(document.getElementById('page-data').textContent)")["page"][
            "next"
        ]
        == attack
    )
    assert problems == []
