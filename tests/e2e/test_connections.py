"""The connections page: admins add, test, edit and remove; others only look."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from tests.e2e.conftest import Server
from tests.e2e.sqllab import LONG_QUERY, run_sql, type_sql

pytestmark = pytest.mark.e2e


def add_duckdb(page: Page, name: str, path: str, timeout: str = "") -> None:
    """Fill the add form for a DuckDB connection and save it."""
    page.goto("/connections")
    page.get_by_role("button", name="Add connection").click()
    form = page.locator("#connection-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Kind").select_option("duckdb")
    form.get_by_label("Database file").fill(path)
    form.get_by_label("Query timeout (seconds)").fill(timeout)
    form.get_by_test_id("form-save").click()
    expect(page.locator(f"tr[data-connection='{name}']")).to_be_visible()


def test_admin_adds_tests_edits_and_removes_a_connection(admin_page: Page, server: Server) -> None:
    page = admin_page
    page.goto("/connections")
    page.get_by_role("button", name="Add connection").click()
    form = page.locator("#connection-form")
    form.get_by_label("Name").fill("copy")
    form.get_by_label("Kind").select_option("duckdb")
    form.get_by_label("Database file").fill(str(server.demo_path))
    expect(form.get_by_label("Read only")).to_be_checked()  # the schema's default
    form.get_by_test_id("form-test").click()
    expect(form.get_by_test_id("test-result")).to_contain_text("✓ Connected")
    form.get_by_label("Query timeout (seconds)").fill("30")
    form.get_by_test_id("form-save").click()

    row = page.locator("tr[data-connection='copy']")
    expect(page.get_by_role("status").filter(has_text="Added copy.")).to_be_visible()
    expect(row).to_contain_text("30 s")
    row.get_by_role("button", name="Test").click()
    outcome = page.locator("tr[data-status-of='copy']")  # a row of its own, under the row
    expect(outcome.get_by_test_id("test-result")).to_contain_text("✓ Connected")
    expect(row.locator("td.name")).to_have_text("copy")

    row.get_by_role("button", name="Edit").click()
    expect(form.get_by_label("Name")).to_be_disabled()
    expect(form.get_by_label("Query timeout (seconds)")).to_have_value("30")
    form.get_by_label("Query timeout (seconds)").fill("")
    form.get_by_test_id("form-save").click()
    expect(row).to_contain_text("default")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove").click()
    expect(row).to_have_count(0)
    expect(page.locator("tr[data-connection='demo']")).to_be_visible()


def test_form_errors_are_shown_next_to_the_form(admin_page: Page) -> None:
    page = admin_page
    page.goto("/connections")
    page.get_by_role("button", name="Add connection").click()
    form = page.locator("#connection-form")
    form.get_by_label("Name").fill("demo")
    form.get_by_label("Kind").select_option("duckdb")
    form.get_by_label("Database file").fill("/nonexistent/nowhere.duckdb")
    form.get_by_test_id("form-test").click()
    expect(form.get_by_test_id("test-result")).to_contain_text("✗ Failed")

    form.get_by_test_id("form-save").click()
    expect(form.get_by_test_id("form-error")).to_contain_text("already exists")


def test_secrets_are_password_fields_and_stay_stored(admin_page: Page) -> None:
    page = admin_page
    page.goto("/connections")
    page.get_by_role("button", name="Add connection").click()
    form = page.locator("#connection-form")
    form.get_by_label("Kind").select_option("postgres")
    form.get_by_label("Name").fill("pg_secret")
    form.get_by_label("Database").fill("analytics")
    form.get_by_label("User").fill("reader")
    expect(form.get_by_label("Password")).to_have_attribute("type", "password")
    form.get_by_label("Password").fill("s3cret")
    form.get_by_test_id("form-save").click()

    row = page.locator("tr[data-connection='pg_secret']")
    expect(row).to_contain_text("password stored")
    expect(row).not_to_contain_text("s3cret")
    row.get_by_role("button", name="Edit").click()
    password = form.get_by_label("Password")
    expect(password).to_have_value("")
    expect(password).to_have_attribute("placeholder", "stored — leave blank to keep")
    form.get_by_label("Port").fill("6543")
    form.get_by_test_id("form-save").click()
    expect(row).to_contain_text("port 6543")
    expect(row).to_contain_text("password stored")


def test_a_connection_timeout_ends_long_queries(admin_page: Page, server: Server) -> None:
    page = admin_page
    add_duckdb(page, "quick", str(server.demo_path), timeout="1")
    page.goto("/sqllab")
    page.locator("#connection").select_option("quick")
    expect(page.get_by_test_id("schema-tree")).to_contain_text("orders")
    type_sql(page, LONG_QUERY)
    page.locator("#run").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "timed_out")
    expect(page.get_by_test_id("run-message")).to_contain_text("did not finish within its 1 s")
    expect(page.locator("#run")).to_be_enabled()
    run_sql(page, "SELECT 1 AS still_works")


def test_viewers_see_a_read_only_list(page_as: Callable[[str, str], Page]) -> None:
    page = page_as("viewer1", "viewer")
    page.goto("/connections")
    expect(page.locator("tr[data-connection='demo']")).to_be_visible()
    expect(page.get_by_role("button", name="Add connection")).to_be_hidden()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(page.locator(".topbar nav")).not_to_contain_text("SQL Lab")
    page.goto("/sqllab")
    expect(page.locator(".notice .message")).to_contain_text("may not run SQL")


SERVICE_ACCOUNT_KEY = {
    "type": "service_account",
    "project_id": "acme",
    "client_email": "reader@acme.iam.gserviceaccount.com",
    "private_key": "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n",
    "token_uri": "https://oauth2.googleapis.com/token",
}


def test_a_bigquery_connection_with_a_key_file(admin_page: Page) -> None:
    page = admin_page
    page.goto("/connections")
    page.get_by_role("button", name="Add connection").click()
    form = page.locator("#connection-form")
    form.get_by_label("Kind").select_option("bigquery")
    form.get_by_label("Name").fill("warehouse_bq")
    options = form.locator(".option-fields .field")
    expect(options.first).to_have_attribute("data-option", "project")
    form.locator("#option-project").fill("acme")

    auth = form.get_by_label("Authentication", exact=True)
    expect(auth.locator("option")).to_have_text(
        [
            "Application Default Credentials of the server",
            "Service-account key",
            "None (emulators only)",
        ]
    )
    key_field = form.locator(".field[data-option=service_account_key]")
    expect(key_field).to_have_class("field inactive")  # not used with the default auth
    auth.select_option("service_account_key")
    expect(key_field).to_have_class("field")

    key = form.get_by_label("Service-account key")
    expect(key).to_have_attribute("type", "password")
    form.get_by_test_id("service_account_key-file").set_input_files(
        files=[
            {
                "name": "acme-reader.json",
                "mimeType": "application/json",
                "buffer": json.dumps(SERVICE_ACCOUNT_KEY, indent=2).encode(),
            }
        ]
    )
    expect(form.get_by_test_id("key-status")).to_have_text(
        "✓ acme-reader.json: the key of reader@acme.iam.gserviceaccount.com."
    )
    assert json.loads(key.input_value()) == SERVICE_ACCOUNT_KEY

    form.get_by_label("Maximum bytes billed per query").fill("10737418240")
    expect(form.get_by_test_id("maximum_bytes_billed-reading")).to_have_text("= 10.0 GB")
    form.get_by_test_id("form-save").click()

    row = page.locator("tr[data-connection='warehouse_bq']")
    expect(row).to_contain_text("service_account_key stored")
    expect(row).to_contain_text("maximum_bytes_billed 10.0 GB")
    expect(row).not_to_contain_text("not-a-real-key")
    expect(row).not_to_contain_text("billing_project")  # unset options are left out

    row.get_by_role("button", name="Edit").click()
    expect(key).to_have_value("")
    expect(key).to_have_attribute("placeholder", "stored — leave blank to keep")
    key.fill("{not json")
    expect(form.get_by_test_id("key-status")).to_have_text("The pasted text is not JSON.")
    form.get_by_role("button", name="Cancel").click()

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove").click()
    expect(row).to_have_count(0)


def test_bigquery_identity_and_impersonation_targets(admin_page: Page) -> None:
    page = admin_page
    page.goto("/connections")
    page.get_by_role("button", name="Add connection").click()
    form = page.locator("#connection-form")
    form.get_by_label("Kind").select_option("bigquery")
    form.get_by_label("Name").fill("per_user_bq")
    form.locator("#option-project").fill("acme")

    identity = form.get_by_label("Identity of queries")
    expect(identity.locator("option")).to_have_text(
        [
            "The connection's own credentials",
            "Each user's own Google account",
            "A service account per user or group",
        ]
    )
    client = form.locator(".field[data-option=oauth_client_id]")
    targets = form.locator(".field[data-option=impersonation_targets]")
    expect(client).to_have_class(re.compile("inactive"))
    expect(targets).to_have_class(re.compile("inactive"))
    identity.select_option("user_oauth")
    expect(client).not_to_have_class(re.compile("inactive"))
    expect(form.get_by_test_id("identity-help")).to_contain_text("connects their Google account")
    identity.select_option("impersonation")
    expect(client).to_have_class(re.compile("inactive"))
    expect(targets).not_to_have_class(re.compile("inactive"))

    # Two mappings, as rows (never JSON); a mistake is named before anything is sent.
    add = form.get_by_test_id("impersonation_targets-add")
    rows = targets.get_by_test_id("map-row")
    add.click()
    rows.nth(0).get_by_label("Email of the user, or name of the group").fill("alice@example.com")
    rows.nth(0).get_by_label("Service account to impersonate").fill("sa-alice")
    add.click()
    rows.nth(1).get_by_label("User or group").select_option("group")
    rows.nth(1).get_by_label("Email of the user, or name of the group").fill("analysts")
    rows.nth(1).get_by_label("Service account to impersonate").fill(
        "sa-analysts@acme.iam.gserviceaccount.com"
    )
    form.get_by_test_id("form-save").click()
    expect(form.get_by_test_id("form-error")).to_contain_text("“sa-alice” is not a service account")
    rows.nth(0).get_by_label("Service account to impersonate").fill(
        "sa-alice@acme.iam.gserviceaccount.com"
    )
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/connections")
    ) as sent:
        form.get_by_test_id("form-save").click()
    assert sent.value.post_data_json["options"]["impersonation_targets"] == {
        "user:alice@example.com": "sa-alice@acme.iam.gserviceaccount.com",
        "group:analysts": "sa-analysts@acme.iam.gserviceaccount.com",
    }
    row = page.locator("tr[data-connection='per_user_bq']")
    expect(row).to_contain_text("impersonation_targets 2 mappings")

    # Editing shows the rows again; removing one removes it on the server.
    row.get_by_role("button", name="Edit").click()
    expect(identity).to_have_value("impersonation")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_label("User or group")).to_have_value("group")
    rows.nth(0).get_by_role("button", name="Remove this mapping").click()
    form.get_by_test_id("form-save").click()
    expect(row).to_contain_text("impersonation_targets 1 mapping")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove").click()
    expect(row).to_have_count(0)


def test_the_add_form_starts_simple_with_written_labels(
    admin_page: Page, admin_api: APIRequestContext
) -> None:
    page = admin_page
    page.goto("/connections")
    page.get_by_role("button", name="Add connection").click()
    form = page.locator("#connection-form")
    kind = form.get_by_label("Kind")
    expect(kind).to_have_value("duckdb")  # the simplest first, not BigQuery
    expect(kind.locator("option")).to_have_text(["DuckDB", "PostgreSQL", "Google BigQuery"])
    expect(form.get_by_test_id("kind-help")).to_contain_text("DuckDB database file")
    expect(form.get_by_label("Database file")).to_be_visible()

    kind.select_option("postgres")
    expect(form.get_by_label("SSL mode")).to_be_visible()
    expect(form).not_to_contain_text("Sslmode")
    expect(form.locator(".field[data-option=sslmode] .help code")).to_have_text("sslmode")
    advanced = form.get_by_test_id("advanced-options")
    expect(form.get_by_label("Connect timeout (seconds)")).to_be_hidden()
    advanced.locator("summary").click()
    expect(form.get_by_label("Connect timeout (seconds)")).to_be_visible()

    kind.select_option("bigquery")
    fields = form.locator(".option-fields")
    expect(fields).not_to_contain_text("`")  # help's code is shown as code
    expect(form.locator(".field[data-option=billing_project] .help code")).to_have_text("project")
    expect(form.get_by_label("Identity of queries")).to_be_visible()
    expect(form.get_by_label("OAuth client ID")).to_be_hidden()  # only with each user's account
    expect(
        form.get_by_label("API endpoint", exact=True)
    ).to_be_hidden()  # emulators only: Advanced, closed
    expect(fields).not_to_contain_text("Api Endpoint")
    advanced.locator("summary").click()
    expect(form.get_by_label("API endpoint", exact=True)).to_be_visible()
    expect(form.get_by_label("Use the Storage Read API")).to_be_checked()
    form.get_by_role("button", name="Cancel").click()

    # A connection that sets an advanced option opens with "Advanced" open.
    made = admin_api.post(
        "/api/v1/connections",
        data={
            "name": "zq_emulated",
            "kind": "bigquery",
            "options": {"project": "acme", "auth": "none", "api_endpoint": "http://127.0.0.1:9"},
        },
    )
    assert made.ok, made.text()
    page.reload()
    page.locator("tr[data-connection='zq_emulated']").get_by_role("button", name="Edit").click()
    expect(form.get_by_label("API endpoint", exact=True)).to_have_value("http://127.0.0.1:9")
    expect(form.get_by_label("API endpoint", exact=True)).to_be_visible()
    admin_api.delete("/api/v1/connections/zq_emulated")
