"""What the SQL Lab tests do often: open it, type SQL, run it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

#: Runs for minutes on DuckDB: for cancelling and deadlines.
LONG_QUERY = "SELECT sum(a.range * b.range) FROM range(100000) a, range(100000) b"


def rows_label(first: int, last: int, total: int) -> str:
    """The pager's text, e.g. "rows 1\N{EN DASH}100 of 250"."""
    return f"rows {first}\N{EN DASH}{last} of {total}"


def open_sqllab(page: Page) -> Page:
    """SQL Lab, with the demo connection's tables listed."""
    page.goto("/sqllab")
    expect(page.locator("#connection")).to_have_value("demo")
    expect(page.get_by_role("button", name="orders", exact=True)).to_be_visible()
    return page


def type_sql(page: Page, sql: str) -> None:
    """Replace the editor's text, as a user pasting it."""
    page.get_by_test_id("sql-editor").focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(sql)


def run_sql(page: Page, sql: str, status: str = "succeeded") -> None:
    """Type SQL, click Run and wait for the run to end in ``status`` (the click itself sets the
    status to running, so an earlier run's status cannot satisfy the wait)."""
    type_sql(page, sql)
    page.locator("#run").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", status)
