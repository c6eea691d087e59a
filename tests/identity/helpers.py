"""Belvedere set up for the identity tests: settings pointing at the Google stand-in and the
OIDC provider, users with emails, BigQuery connections through the identity proxies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from belvedere.auth.roles import Role
from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.google import CLIENT_ID, CLIENT_SECRET, GoogleService
from tests.support.web.client import PASSWORD, Client, MakeClient, app_clients

SALES_SQL = "SELECT region, amount FROM secure.sales ORDER BY amount"


def settings_for(data_dir: Path, google: GoogleService, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "admin_password": PASSWORD,
        "demo": False,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "google_oauth_authorize_url": google.auth_uri,
        "google_oauth_token_url": google.token_uri,
        "google_iam_credentials_url": google.iam_credentials_url,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def belvedere(settings: Settings) -> Iterator[tuple[Services, MakeClient]]:
    """Services with alice and bob (editors, with emails), and a maker of clients."""
    services = Services(settings)
    services.first_start()
    for name in ("alice", "bob", "carol"):
        services.users.create(name, Role.EDITOR, PASSWORD, email=f"{name}@example.com")
    try:
        with app_clients(services) as client:
            yield services, client
    finally:
        services.close()


def local(url: str) -> str:
    """Path and query of an absolute URL (the test client talks to the app directly)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def authorize(client: Client, google: GoogleService, connection: str, email: str) -> str:
    """Go through the authorization of a user_oauth connection as the browser would; returns
    where Belvedere sends the browser at the end."""
    start = client.get(
        f"/auth/warehouse/start?connection={connection}&next=/sqllab", follow_redirects=False
    )
    assert start.status_code == 303, start.text
    assert start.headers["location"].startswith(google.auth_uri)
    back = google.consent(start.headers["location"], email)
    done = client.get(local(back), follow_redirects=False)
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


def rows_of(run: dict[str, Any]) -> list[list[Any]]:
    assert run.get("status") == "succeeded", run
    return [list(r) for r in run["result"]["rows"]]
