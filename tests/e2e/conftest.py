"""Real-browser tests: a Belvedere server in a subprocess, driven by Debian's chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, BrowserContext, Page, Playwright, expect

from tests.support.delivery import Received, mail_server
from tests.support.servers.ports import free_port

ADMIN_PASSWORD = "e2e-admin-password"
MAX_RESULT_ROWS = 1000  # small, so a test can see a result cut at the row cap
RESULTS_BUDGET_MB = 1  # small, so a test can see a stored result evicted
STARTUP_SECONDS = 90
CHROMIUM = "/usr/bin/chromium"

expect.set_options(timeout=10_000)


@dataclass(frozen=True)
class Server:
    """A running Belvedere server."""

    url: str
    data_dir: Path
    log: Path

    @property
    def demo_path(self) -> Path:
        return self.data_dir / "demo.duckdb"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, headless (``playwright install`` is never needed)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def serve(data_dir: Path, **settings: str) -> Iterator[Server]:
    """``belvedere serve`` on a free loopback port with the demo in ``data_dir``; ``settings``
    are more ``BELVEDERE_*`` variables (e.g. ``BELVEDERE_OIDC_CLIENT_ID``)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BELVEDERE_")}
    env.update(
        BELVEDERE_DATA_DIR=str(data_dir),
        BELVEDERE_HOST="127.0.0.1",
        BELVEDERE_PORT=str(port),
        BELVEDERE_ADMIN_PASSWORD=ADMIN_PASSWORD,
        BELVEDERE_MAX_RESULT_ROWS=str(MAX_RESULT_ROWS),
        BELVEDERE_RESULTS_BUDGET_MB=str(RESULTS_BUDGET_MB),
        BELVEDERE_LOG_LEVEL="warning",
        NO_GCE_CHECK="true",
        **settings,
    )
    log = data_dir / "server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "belvedere", "serve"], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer in {STARTUP_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.1)
        yield Server(url=url, data_dir=data_dir, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Mailbox:
    """The SMTP server on loopback that the browser tests' server sends e-mail to."""

    port: int
    received: list[Received]


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """An SMTP server (aiosmtpd) on loopback that keeps every message it accepts."""
    with mail_server() as (port, received):
        yield Mailbox(port, received)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Server]:
    """The server of the browser tests: a fresh data directory and the demo; scheduled
    reports go to :func:`mailbox`."""
    with serve(
        tmp_path_factory.mktemp("e2e-data"),
        BELVEDERE_SMTP_URL=f"smtp://127.0.0.1:{mailbox.port}",
        BELVEDERE_SMTP_FROM="Belvedere <reports@belvedere.test>",
    ) as running:
        yield running


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    """Pages open relative to the server (``page.goto("/sqllab")``)."""
    return server.url


@pytest.fixture(scope="session")
def sign_in_state(playwright: Playwright, server: Server) -> Callable[[str, str], dict[str, Any]]:
    """Cookies of a fresh session of a user, signed in through the API (cached per user)."""
    states: dict[tuple[str, str], dict[str, Any]] = {}

    def state(username: str, password: str) -> dict[str, Any]:
        if (username, password) not in states:
            api = playwright.request.new_context(base_url=server.url)
            token = api.get("/api/v1/auth/csrf").json()["csrf_token"]
            response = api.post(
                "/api/v1/auth/login",
                data={"username": username, "password": password},
                headers={"X-CSRF-Token": token},
            )
            ok, text = response.ok, response.text()
            states[username, password] = api.storage_state()
            api.dispose()
            assert ok, text
        return states[username, password]

    return state


@pytest.fixture
def admin_context(
    new_context: Callable[..., BrowserContext],
    sign_in_state: Callable[[str, str], dict[str, Any]],
) -> BrowserContext:
    """A browser context signed in as the admin (fresh local storage)."""
    return new_context(storage_state=sign_in_state("admin", ADMIN_PASSWORD))


def ready(page: Page) -> None:
    """Wait until the page's script has started (its controls answer clicks)."""
    expect(page.locator("html")).to_have_attribute("data-ready", "true")


def watch(page: Page, problems: list[str] | None = None) -> list[str]:
    """What goes wrong in a page: uncaught errors, and what the content security policy
    blocks; the list (a new one, or ``problems``) fills while the test runs."""
    problems = [] if problems is None else problems
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return problems


@pytest.fixture
def admin_page(admin_context: BrowserContext) -> Iterator[Page]:
    """A page signed in as the admin; the test fails if the page's script throws or the
    content security policy blocks something."""
    page = admin_context.new_page()
    problems = watch(page)
    yield page
    assert problems == []


@pytest.fixture
def admin_api(
    playwright: Playwright, server: Server, sign_in_state: Callable[[str, str], dict[str, Any]]
) -> Iterator[APIRequestContext]:
    """The JSON API as the admin (the CSRF token sent along)."""
    admin = sign_in_state("admin", ADMIN_PASSWORD)
    token = next(c["value"] for c in admin["cookies"] if c["name"] == "belvedere_csrf")
    api = playwright.request.new_context(
        base_url=server.url, storage_state=admin, extra_http_headers={"X-CSRF-Token": token}
    )
    yield api
    api.dispose()


@pytest.fixture
def page_as(
    admin_api: APIRequestContext,
    new_context: Callable[..., BrowserContext],
    sign_in_state: Callable[[str, str], dict[str, Any]],
) -> Iterator[Callable[[str, str], Page]]:
    """A page signed in as a new account of a role (created through the admin API); the test
    fails if one of these pages throws or the content security policy blocks something."""
    problems: list[str] = []

    def open_as(username: str, role: str) -> Page:
        password = f"{username}-password"
        response = admin_api.post(
            "/api/v1/users", data={"username": username, "password": password, "role": role}
        )
        assert response.ok, response.text()
        page = new_context(storage_state=sign_in_state(username, password)).new_page()
        watch(page, problems)
        return page

    yield open_as
    assert problems == []
