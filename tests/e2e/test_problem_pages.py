"""A browser at an address with no page sees a page saying so, with the top bar and a way home,
and the page's icon loads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_an_unknown_address_is_a_page_with_the_nav(admin_page: Page) -> None:
    page = admin_page
    answer = page.goto("/reports/<b>bold</b>")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator(".notice .message")).to_contain_text("/reports/<b>bold</b>")  # as text
    expect(page.locator(".notice b")).to_have_count(0)
    expect(page.locator(".topbar nav")).to_contain_text("Dashboards")
    icon = page.locator("link[rel=icon]")
    expect(icon).to_have_attribute("href", "/favicon.svg")
    loaded = page.request.get("/favicon.svg")
    assert loaded.ok and loaded.headers["content-type"].startswith("image/svg+xml")
    page.get_by_role("link", name="Back to Belvedere").click()
    expect(page).not_to_have_title("Page not found · Belvedere")
