"""The stand-in's Starlette app: its routes, each request recorded with what it answered (or a
failure the test injected answered instead), served on loopback by :func:`google_service`."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.google import iam, openid
from tests.support.google.authorize import authorize
from tests.support.google.constants import GENERATE
from tests.support.google.records import Failure, GoogleRequest
from tests.support.google.service import GoogleService
from tests.support.google.token import token
from tests.support.servers.app import live_server

Handler = Callable[[GoogleService, Request], Awaitable[Response]]

_ENDPOINTS = {
    "/o/oauth2/v2/auth": "authorize",
    "/token": "token",
    "/revoke": "revoke",
    "/oauth2/v3/userinfo": "userinfo",
    "/.well-known/openid-configuration": "discovery",
    "/oauth2/v3/certs": "jwks",
    "/oauth2/v1/certs": "certs",
}


@contextmanager
def google_service() -> Iterator[GoogleService]:
    """Run the stand-in until the block ends."""
    service = GoogleService()
    with live_server(build_app(service)) as url:
        service.url = url
        yield service


def build_app(service: GoogleService) -> Starlette:
    """The stand-in's endpoints over ``service``."""

    def route(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route(path, partial(_recorded, service, handler), methods=methods)

    return Starlette(
        routes=[
            route("/o/oauth2/v2/auth", authorize, ["GET"]),
            route("/token", token, ["POST"]),
            route(
                "/v1/projects/{project}/serviceAccounts/{name:path}",
                iam.generate_access_token,
                ["POST"],
            ),
            route("/revoke", openid.revoke, ["POST"]),
            route("/oauth2/v3/userinfo", openid.userinfo, ["GET", "POST"]),
            route("/.well-known/openid-configuration", openid.discovery, ["GET"]),
            route("/oauth2/v3/certs", openid.jwks, ["GET"]),
            route("/oauth2/v1/certs", openid.pem_certs, ["GET"]),
            route("/{rest:path}", openid.not_found, ["GET", "POST", "PUT", "DELETE"]),
        ]
    )


def endpoint_of(method: str, path: str) -> str:
    """The name a request is recorded under: ``token``, ``generateAccessToken``, ..., else
    ``METHOD /path``."""
    if path in _ENDPOINTS:
        return _ENDPOINTS[path]
    if path.startswith("/v1/projects/") and path.endswith(GENERATE):
        return "generateAccessToken"
    return f"{method} {path}"


async def _recorded(service: GoogleService, handler: Handler, request: Request) -> Response:
    """Record the request, answer it (or fail it as the test asked), record the answer."""
    record = await _record_of(request)
    with service.lock:
        service.state.requests.append(record)
        failure = _take_failure(service, record.endpoint)
    try:
        if failure is not None:
            response: Response = JSONResponse(failure.body, status_code=failure.status)
        else:
            response = await handler(service, request)
    except Exception as exc:
        with service.lock:
            service.errors.append(exc)
            record.status = 500
            service.lock.notify_all()
        raise
    answered: Any = None
    if isinstance(response, RedirectResponse):
        answered = {"location": response.headers["location"]}
    elif isinstance(response, JSONResponse):
        answered = json.loads(bytes(response.body))
    with service.lock:
        record.status = response.status_code
        record.response = answered
        service.lock.notify_all()
    return response


async def _record_of(request: Request) -> GoogleRequest:
    body = await request.body()
    form: dict[str, str] = {}
    parsed: Any = None
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    elif body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
    return GoogleRequest(
        endpoint=endpoint_of(request.method, request.url.path),
        method=request.method,
        path=request.url.path,
        params=dict(request.query_params),
        form=form,
        json=parsed,
        headers={k.lower(): v for k, v in request.headers.items()},
        time=time.monotonic(),
    )


def _take_failure(service: GoogleService, endpoint: str) -> Failure | None:
    """The failure injected for ``endpoint``, counted down (the lock held)."""
    failures = service.state.failures
    for failure in failures:
        if failure.endpoint == endpoint:
            failure.times -= 1
            if failure.times <= 0:
                failures.remove(failure)
            return failure
    return None
