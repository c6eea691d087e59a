"""Saved queries in SQL Lab: save (Ctrl/Cmd+S), share, change and delete your own; others see
only the shared ones, read-only, run them and save copies; the editor's unsaved text is kept."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.sqllab import open_sqllab, type_sql

pytestmark = pytest.mark.e2e

BY_REGION = "SELECT region, count(*) AS customers FROM customers GROUP BY 1 ORDER BY 1"


def saved_item(page: Page, name: str) -> Locator:
    return page.get_by_test_id("saved-item").filter(
        has=page.locator(".name", has_text=re.compile(f"^{re.escape(name)}$"))
    )


def save_with_keys(
    page: Page, name: str, *, button: str = "save-new", shared: bool = False
) -> None:
    """Ctrl/Cmd+S in the editor, name the query, press a button of the dialog."""
    page.get_by_test_id("sql-editor").focus()
    page.keyboard.press("ControlOrMeta+s")
    dialog = page.locator("#save-dialog")
    dialog.get_by_label("Name").fill(name)
    if shared:
        dialog.get_by_label("Share with everyone who runs SQL").check()
    dialog.get_by_test_id(button).click()
    expect(dialog).to_have_count(0)


def item_menu(page: Page, name: str) -> None:
    saved_item(page, name).get_by_role("button", name=f"Actions for {name}").click()


def test_save_share_and_run_as_someone_else(page_as: Callable[[str, str], Page]) -> None:
    ana = open_sqllab(page_as("ana", "editor"))
    type_sql(ana, BY_REGION)
    save_with_keys(ana, "Customers by region")
    title = ana.get_by_test_id("saved-title")
    expect(title.get_by_test_id("saved-name")).to_have_text("Customers by region")
    expect(title.locator(".pill")).to_have_text("Private")

    # Changed text: marked as edited; Ctrl+S saves the changes into the same query.
    type_sql(ana, BY_REGION + " -- by name")
    expect(title.locator(".edited")).to_be_visible()
    ana.keyboard.press("ControlOrMeta+s")
    dialog = ana.locator("#save-dialog")
    expect(dialog.get_by_label("Name")).to_have_value("Customers by region")
    dialog.get_by_test_id("save-changes").click()
    expect(title.locator(".edited")).to_have_count(0)
    expect(title.locator(".saved-status")).to_have_text("Saved")

    # A second, private one: "Save as new" keeps the first.
    type_sql(ana, "SELECT 42 AS private_answer")
    save_with_keys(ana, "Private answer", button="save-as-new")
    ana.locator("#tab-saved").click()
    mine = ana.get_by_test_id("saved-mine")
    expect(mine.get_by_test_id("saved-item")).to_have_count(2)
    expect(saved_item(ana, "Private answer")).to_have_attribute("aria-current", "true")

    # Share the first from its menu; rename the second.
    item_menu(ana, "Customers by region")
    ana.get_by_test_id("saved-menu-share").click()
    expect(saved_item(ana, "Customers by region").locator(".pill")).to_have_text("Shared")
    item_menu(ana, "Private answer")
    ana.get_by_test_id("saved-menu-edit").click()
    details = ana.locator("#saved-details-dialog")
    details.get_by_label("Name").fill("My private answer")
    details.get_by_role("button", name="Save changes").click()
    expect(saved_item(ana, "My private answer").locator(".pill")).to_have_text("Private")
    expect(ana.get_by_test_id("saved-name")).to_have_text("My private answer")

    # Bo sees the shared one only, read-only; running it keeps his unsaved text as a draft.
    bo = open_sqllab(page_as("bo", "editor"))
    type_sql(bo, "SELECT 'bo was here' AS draft")
    bo.locator("#tab-saved").click()
    expect(bo.get_by_test_id("saved-mine")).to_have_count(0)
    shared = saved_item(bo, "Customers by region")
    expect(bo.get_by_test_id("saved-item")).to_have_count(1)
    expect(shared.locator(".pill")).to_have_text(["Shared by ana", "Read-only"])
    item_menu(bo, "Customers by region")
    expect(bo.get_by_test_id("saved-menu-delete")).to_have_count(0)
    expect(bo.get_by_test_id("saved-menu-edit")).to_have_count(0)
    bo.keyboard.press("Escape")
    with bo.expect_request(re.compile(r"/api/v1/saved-queries/\d+/run$")):
        shared.get_by_role("button", name="Run", exact=True).click()
    expect(bo.locator("#run-status")).to_have_attribute("data-status", "succeeded")
    expect(bo.locator(".cm-content")).to_have_text(BY_REGION + " -- by name")
    expect(bo.locator("#results tbody tr")).to_have_count(4)

    # Bo changes it: Save offers only a copy of his own.
    bo.get_by_test_id("sql-editor").focus()
    bo.keyboard.press("End")
    bo.keyboard.insert_text(" LIMIT 2")
    bo.keyboard.press("ControlOrMeta+s")
    copy = bo.locator("#save-dialog")
    expect(copy).to_contain_text("belongs to someone else")
    expect(copy.get_by_test_id("save-changes")).to_have_count(0)
    expect(copy.get_by_label("Name")).to_have_value("Customers by region (copy)")
    copy.get_by_test_id("save-new").click()
    bo.locator("#tab-saved").click()
    expect(saved_item(bo, "Customers by region (copy)").locator(".pill")).to_have_text("Private")

    # His earlier text was kept: restore it.
    draft = bo.get_by_test_id("saved-draft")
    expect(draft).to_contain_text("SELECT 'bo was here' AS draft")
    draft.get_by_role("button", name="Restore").click()
    expect(bo.locator(".cm-content")).to_have_text("SELECT 'bo was here' AS draft")
    expect(bo.get_by_test_id("saved-title")).to_be_hidden()

    # Ana deletes her private one (after confirming).
    ana.once("dialog", lambda dialog: dialog.accept())
    item_menu(ana, "My private answer")
    ana.get_by_test_id("saved-menu-delete").click()
    expect(saved_item(ana, "My private answer")).to_have_count(0)
    expect(ana.get_by_test_id("saved-title")).to_be_hidden()
    expect(ana.get_by_test_id("saved-mine").get_by_test_id("saved-item")).to_have_count(1)
