"""The one way tests talk to Belvedere's app: :func:`app_clients` builds the app over some
services and makes in-process clients of it (each with its own cookies, signing in and sending
the CSRF header like the browser); :func:`signed_in` does the same over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from belvedere.services import Services

PASSWORD = "correct-horse-battery"
"""The admin's password in the tests' settings, and every test user's."""


class Client(TestClient):
    """An in-process HTTP client that signs in and sends the CSRF token like the browser."""

    def login(self, username: str = "admin", password: str = PASSWORD) -> Client:
        self.get("/api/v1/auth/csrf")
        response = self.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return self

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        token = self.cookies.get("belvedere_csrf")
        if token and method.upper() not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("x-csrf-token", token)
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)


class MakeClient:
    """Makes clients of one app (``TestClient`` keyword arguments accepted, e.g. ``client=``,
    ``raise_server_exceptions=``), each with its own cookies and lifespan; ``app`` is the app
    itself, for what a client cannot do (serve it over HTTP, read its routes, add one)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._clients: list[Client] = []

    def __call__(self, **options: Any) -> Client:
        client = Client(self.app, **options)
        client.__enter__()
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.__exit__(None, None, None)


@contextmanager
def app_clients(services: Services) -> Iterator[MakeClient]:
    """The app over ``services`` and a maker of clients of it; every client made is closed
    (its lifespan ended) when the block ends. Sign in with ``make().login(...)``."""
    from belvedere.web.app import create_app  # imported by the tests that use the app only

    make = MakeClient(create_app(services))
    try:
        yield make
    finally:
        make.close()


def signed_in(url: str, username: str, password: str = PASSWORD) -> httpx.Client:
    """An HTTP client signed in to a live server, sending the CSRF header."""
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/api/v1/auth/csrf")
    client.headers["x-csrf-token"] = client.cookies["belvedere_csrf"]
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    client.headers["x-csrf-token"] = client.cookies["belvedere_csrf"]
    return client
