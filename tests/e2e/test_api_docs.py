"""The API docs page runs Swagger UI from the bundle (no inline script under the CSP)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_api_docs_show_the_openapi_document(admin_page: Page) -> None:
    errors: list[str] = []
    admin_page.on("pageerror", lambda error: errors.append(str(error)))
    admin_page.goto("/api/docs")
    expect(admin_page.locator(".swagger-ui .info .title")).to_contain_text("Belvedere")
    expect(
        admin_page.locator(".opblock-summary-path", has_text="/api/v1/runs").first
    ).to_be_visible()
    assert errors == []
