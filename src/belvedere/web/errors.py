"""Errors as JSON a user can read: ``{"error": {"code", "message", ...}}``, never a traceback."""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from belvedere.auth.roles import PERMISSION_DESCRIPTIONS, Permission
from belvedere.auth.throttle import Throttled
from belvedere.charts.service import ChartFailed, ChartInvalid
from belvedere.connections.service import (
    ConnectionConflict,
    ConnectionInvalid,
    ConnectionNotFound,
)
from belvedere.execution.results import ResultMissing
from belvedere.execution.runs import RunStatus
from belvedere.execution.service import InvalidRequest, RunNotFound
from belvedere.identity.service import AuthorizationRequired, IdentityError
from belvedere.security.secretbox import SecretBoxError
from belvedere.store.models import QueryRun
from belvedere.store.users import UserError
from belvedere.warehouses.errors import USER_ERROR_KINDS, ErrorKind, WarehouseError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered with a status, a stable code and a message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


class NotSignedIn(ApiError):
    """No valid session."""

    def __init__(self) -> None:
        super().__init__(401, "not_signed_in", "Sign in to continue (no session, or it expired).")


class Forbidden(ApiError):
    """Signed in, but the role lacks a permission."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(
            403,
            "forbidden",
            f"Your role may not {PERMISSION_DESCRIPTIONS[permission]}.",
            permission=permission.value,
        )


def authorize_url(connection: str) -> str:
    """Where a user goes to authorize a per-user connection, and back to SQL Lab."""
    return f"/auth/warehouse/start?{urlencode({'connection': connection, 'next': '/sqllab'})}"


def failure_status(run: QueryRun) -> int:
    """The HTTP status of a failed run: 400 for the query's own fault, 403 when the user must
    authorize the warehouse, 502 when it could not be reached, else 500."""
    if run.error_code in {k.value for k in USER_ERROR_KINDS}:
        return 400
    if run.error_code == ErrorKind.UNAVAILABLE.value:
        return 502
    if run.error_code == ErrorKind.AUTHORIZATION.value:
        return 403
    return 500


def chart_failure(exc: ChartFailed) -> ApiError:
    """The answer to a chart whose query ended without rows (timed out, cancelled, failed)."""
    run = exc.run
    message = run.error_message or f"The chart's query ended {run.status}."
    status = RunStatus(run.status)
    if status is RunStatus.TIMED_OUT:
        return ApiError(504, "timed_out", message)
    if status is RunStatus.CANCELLED:
        return ApiError(409, "cancelled", message)
    if status is not RunStatus.FAILED:
        return ApiError(504, "timed_out", "The chart's query did not end in time.")
    code, status_code = run.error_code or "failed", failure_status(run)
    if status_code == 403:
        url = authorize_url(run.connection_name)
        return ApiError(403, code, message, connection=run.connection_name, authorize_url=url)
    if status_code == 400:
        return ApiError(400, code, message, line=run.error_line, column=run.error_column)
    return ApiError(status_code, code, message)


def without_sql(message: str) -> str:
    """An error's message as told to someone not shown the SQL behind it: its first line
    (warehouses and the SQL parser quote the statement after it)."""
    return message.split("\n", 1)[0]


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of an error."""
    return {"error": {"code": code, "message": message, **extra}}


def _json(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


def _duration(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "Invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Map every expected exception to a clear JSON error."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if isinstance(exc, NotSignedIn) and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return _json(exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _json(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
        return _json(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    simple: dict[type[Exception], tuple[int, str]] = {
        ConnectionNotFound: (404, "connection_not_found"),
        ConnectionConflict: (422, "incompatible_options"),
        ConnectionInvalid: (400, "invalid_connection"),
        RunNotFound: (404, "run_not_found"),
        InvalidRequest: (400, "invalid_request"),
        UserError: (400, "invalid_user"),
        IdentityError: (400, "identity_unavailable"),
        ChartInvalid: (400, "invalid_chart"),
    }
    for exc_type, (status, code) in simple.items():
        app.add_exception_handler(exc_type, _simple_handler(status, code))

    @app.exception_handler(Throttled)
    async def throttled(request: Request, exc: Throttled) -> Response:
        seconds = max(1, math.ceil(exc.wait.total_seconds()))
        return _json(
            429,
            "too_many_attempts",
            f"Too many failed sign-ins; try again in {_duration(seconds)}.",
            headers={"Retry-After": str(seconds)},
            retry_after=seconds,
        )

    @app.exception_handler(AuthorizationRequired)
    async def authorization_required(request: Request, exc: AuthorizationRequired) -> Response:
        url = authorize_url(exc.connection)
        return _json(
            403, "authorization_required", str(exc), connection=exc.connection, authorize_url=url
        )

    @app.exception_handler(ChartFailed)
    async def chart_failed(request: Request, exc: ChartFailed) -> Response:
        failure = chart_failure(exc)
        return _json(failure.status, failure.code, failure.message, **failure.extra)

    @app.exception_handler(ResultMissing)
    async def missing(request: Request, exc: ResultMissing) -> Response:
        return _json(410, "result_expired", "This result is no longer stored; run the query again.")

    @app.exception_handler(WarehouseError)
    async def warehouse(request: Request, exc: WarehouseError) -> Response:
        status = 502 if exc.kind.value == "warehouse_unavailable" else 400
        return _json(status, exc.kind.value, exc.message, line=exc.line, column=exc.column)

    @app.exception_handler(SecretBoxError)
    async def secrets_unreadable(request: Request, exc: SecretBoxError) -> Response:
        log.error("%s", exc)
        return _json(503, "secrets_unreadable", str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _json(
            500, "internal_error", "Belvedere hit an internal error; the server log has details."
        )


def _simple_handler(status: int, code: str) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        return _json(status, code, str(exc))

    return handler
