"""A real uvicorn server in a background thread, on a free loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from tests.support.ports import free_port


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` over HTTP until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(30)


def signed_in(url: str, username: str, password: str) -> httpx.Client:
    """An HTTP client signed in to a live server, sending the CSRF header."""
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/api/v1/auth/csrf")
    client.headers["x-csrf-token"] = client.cookies["belvedere_csrf"]
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    client.headers["x-csrf-token"] = client.cookies["belvedere_csrf"]
    return client
