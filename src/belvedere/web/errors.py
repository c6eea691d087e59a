"""Errors as JSON a user can read: ``{"error": {"code", "message", ...}}``, never a traceback.

One table (:data:`STATUS`) says how every error code is answered; the exception handlers
installed by :func:`install_error_handlers` are the only place failures become answers.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from belvedere.auth.roles import PERMISSION_DESCRIPTIONS, Permission
from belvedere.auth.throttle import Throttled
from belvedere.charts.errors import (
    ChartFailed,
    ChartInvalid,
    ChartNotFound,
    MetricNotNumeric,
    NotDrawable,
)
from belvedere.connections.service import (
    ConnectionConflict,
    ConnectionInvalid,
    ConnectionNotFound,
)
from belvedere.costs.rules_admin import CostChangeInvalid, CostRaiseNotFound, CostRuleNotFound
from belvedere.dashboards.errors import (
    ColumnRequired,
    DashboardNotFound,
    FilterNotDeclared,
    NotBuilder,
    NotDashboardOwner,
    NotEditor,
    RefreshOverBudget,
    UnknownColumn,
    UnknownUser,
)
from belvedere.execution.runs import RunStatus
from belvedere.execution.service import (
    InvalidRequest,
    QueueUnavailable,
    ResultMissing,
    RunNotFound,
)
from belvedere.identity.authorize import authorize_url
from belvedere.identity.service import AuthorizationRequired, IdentityError
from belvedere.results import ResultsUnavailable
from belvedere.schedules.cron import ScheduleInvalid
from belvedere.schedules.service import ScheduleNotFound
from belvedere.security.secretbox import SecretBoxError
from belvedere.store.runs import RunRecord
from belvedere.store.saved_queries import NotOwner, SavedQueryNotFound
from belvedere.store.users import UserError
from belvedere.warehouses.errors import USER_ERROR_KINDS, ErrorKind, WarehouseError

log = logging.getLogger(__name__)

#: The one table: the HTTP status of each error code a failure is answered with. A code not
#: listed (an unexpected warehouse error, a run interrupted by a restart) answers 500.
STATUS: dict[str, int] = {
    # what the caller sent or wrote: theirs to fix
    **{kind.value: 400 for kind in USER_ERROR_KINDS},
    "invalid_request": 400,
    "invalid_connection": 400,
    "invalid_user": 400,
    "invalid_chart": 400,
    "not_drawable": 400,
    "unknown_user": 400,
    "unknown_column": 400,
    "identity_unavailable": 400,
    ErrorKind.AUTHORIZATION.value: 403,  # answered with the link that authorizes
    "not_owner": 403,
    "not_editor": 403,
    "not_builder": 403,
    "filter_not_declared": 403,
    "timezone_locked": 403,
    "connection_not_found": 404,
    "chart_not_found": 404,
    "dashboard_not_found": 404,
    "saved_query_not_found": 404,
    "run_not_found": 404,
    "schedule_not_found": 404,
    "cost_rule_not_found": 404,
    "cost_raise_not_found": 404,
    RunStatus.CANCELLED.value: 409,
    "result_expired": 410,
    "incompatible_options": 422,
    "metric_not_numeric": 422,
    "invalid_schedule": 422,  # names the ``field``
    "invalid_cost_change": 422,  # names the ``field``
    "refresh_over_budget": 422,  # names the ``field``
    ErrorKind.RESULT_TOO_LARGE.value: 422,
    "metrics_token_required": 401,
    "too_many_attempts": 429,
    ErrorKind.UNAVAILABLE.value: 502,
    "secrets_unreadable": 503,
    "queue_unavailable": 503,
    "worker_lost": 503,
    "results_unavailable": 503,
    RunStatus.TIMED_OUT.value: 504,
}

#: Exceptions of the services, and the code each is answered with (its message as told).
CODES: dict[type[Exception], str] = {
    ConnectionNotFound: "connection_not_found",
    ConnectionConflict: "incompatible_options",
    ConnectionInvalid: "invalid_connection",
    RunNotFound: "run_not_found",
    QueueUnavailable: "queue_unavailable",
    InvalidRequest: "invalid_request",
    UserError: "invalid_user",
    IdentityError: "identity_unavailable",
    ChartInvalid: "invalid_chart",
    MetricNotNumeric: "metric_not_numeric",
    ChartNotFound: "chart_not_found",
    NotDrawable: "not_drawable",
    DashboardNotFound: "dashboard_not_found",
    NotEditor: "not_editor",
    NotDashboardOwner: "not_owner",
    NotBuilder: "not_builder",
    FilterNotDeclared: "filter_not_declared",
    UnknownUser: "unknown_user",
    UnknownColumn: "unknown_column",
    ColumnRequired: "invalid_request",
    SavedQueryNotFound: "saved_query_not_found",
    NotOwner: "not_owner",
    ResultsUnavailable: "results_unavailable",
    ScheduleNotFound: "schedule_not_found",
    CostRuleNotFound: "cost_rule_not_found",
    CostRaiseNotFound: "cost_raise_not_found",
}


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


class RunFailed(Exception):
    """A run that ended failed, answered with its error and, under ``run``, the run as shown
    (``shown``); ``hide_sql`` for a run whose SQL the caller is not shown."""

    def __init__(self, run: RunRecord, shown: dict[str, Any], *, hide_sql: bool = False) -> None:
        super().__init__(run.error_message or run.status)
        self.run = run
        self.shown = shown
        self.hide_sql = hide_sql


def without_sql(message: str) -> str:
    """An error's message as told to someone not shown the SQL behind it: its first line
    (warehouses and the SQL parser quote the statement after it)."""
    return message.split("\n", 1)[0]


def failure(
    code: str,
    message: str,
    *,
    connection: str | None = None,
    line: int | None = None,
    column: int | None = None,
    hide_sql: bool = False,
) -> ApiError:
    """The answer to a failure of kind ``code``, by the table, with its position in the SQL
    (none, and the message's first line only, when ``hide_sql``); an authorization error also
    carries the link that authorizes ``connection``."""
    if hide_sql:
        message, line, column = without_sql(message), None, None
    extra: dict[str, Any] = {"line": line, "column": column}
    if code == ErrorKind.AUTHORIZATION.value and connection is not None:
        extra.update(connection=connection, authorize_url=authorize_url(connection))
    return ApiError(STATUS.get(code, 500), code, message, **extra)


def run_failure(run: RunRecord, *, hide_sql: bool = False) -> ApiError:
    """The answer to a run that ended without a result (failed, timed out, cancelled), or did
    not end in time."""
    status = RunStatus(run.status)
    if status is RunStatus.FAILED:
        code = run.error_code or status.value
        message = run.error_message or "The query failed."
    elif status.is_terminal:
        code, message = status.value, run.error_message or f"The query ended {status.value}."
    else:
        code, message = RunStatus.TIMED_OUT.value, "The query did not end in time."
    return failure(
        code,
        message,
        connection=run.connection_name,
        line=run.error_line,
        column=run.error_column,
        hide_sql=hide_sql,
    )


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of an error."""
    return {"error": {"code": code, "message": message, **extra}}


def _json(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


def _answer(error: ApiError) -> JSONResponse:
    return _json(error.status, error.code, error.message, **error.extra)


def _duration(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"


def wants_html(request: Request) -> bool:
    """Whether the request is a browser's for a page (not the API's, and accepting HTML)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def http_failure(exc: StarletteHTTPException) -> JSONResponse:
    """The JSON answer to an HTTP error of the routing (no such path, method not allowed)."""
    codes = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
    return _json(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))


def invalid_request(exc: RequestValidationError) -> JSONResponse:
    """The JSON answer to a request its route's parameters refused."""
    return _json(422, "invalid_request", _validation_message(exc))


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "Invalid request: " + "; ".join(parts)


def _unstorable_message(exc: DataError) -> str:
    """What to tell of a value the metadata store refused (never the statement or its values)."""
    if "NUL" in str(exc.orig):
        return "Text may not contain the NUL character (\\u0000)."
    return "A value in the request is out of the range the metadata store keeps."


def _hides_sql(exc: Exception) -> bool:
    """Whether a service marked its error as told to someone not shown the SQL behind it."""
    return bool(getattr(exc, "hide_sql", False))


def install_error_handlers(app: FastAPI) -> None:
    """Map every expected exception to a clear JSON error."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if isinstance(exc, NotSignedIn) and wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return _answer(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return invalid_request(exc)

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        # PostgreSQL refuses a NUL in text, or a number beyond its column; SQLite keeps both.
        return _json(422, "invalid_request", _unstorable_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return http_failure(exc)

    for exc_type in CODES:
        app.add_exception_handler(exc_type, _by_code)

    @app.exception_handler(Throttled)
    async def throttled(request: Request, exc: Throttled) -> Response:
        seconds = max(1, math.ceil(exc.wait.total_seconds()))
        code = "too_many_attempts"
        return _json(
            STATUS[code],
            code,
            f"Too many failed sign-ins; try again in {_duration(seconds)}.",
            headers={"Retry-After": str(seconds)},
            retry_after=seconds,
        )

    @app.exception_handler(AuthorizationRequired)
    async def authorization_required(request: Request, exc: AuthorizationRequired) -> Response:
        return _answer(failure(ErrorKind.AUTHORIZATION.value, str(exc), connection=exc.connection))

    @app.exception_handler(WarehouseError)
    async def warehouse(request: Request, exc: WarehouseError) -> Response:
        found = failure(
            exc.kind.value,
            exc.message,
            connection=exc.connection,
            line=exc.line,
            column=exc.column,
            hide_sql=_hides_sql(exc),
        )
        return _answer(found)

    @app.exception_handler(ChartFailed)
    async def chart_failed(request: Request, exc: ChartFailed) -> Response:
        return _answer(run_failure(exc.run, hide_sql=_hides_sql(exc)))

    @app.exception_handler(RunFailed)
    async def run_failed(request: Request, exc: RunFailed) -> Response:
        found = run_failure(exc.run, hide_sql=exc.hide_sql)
        body = {"error": {"code": found.code, "message": found.message, **found.extra}}
        return JSONResponse({**body, "run": exc.shown}, status_code=found.status)

    @app.exception_handler(ScheduleInvalid)
    async def schedule_invalid(request: Request, exc: ScheduleInvalid) -> Response:
        code = "invalid_schedule"
        return _json(STATUS[code], code, exc.message, field=exc.field)

    @app.exception_handler(RefreshOverBudget)
    async def refresh_over_budget(request: Request, exc: RefreshOverBudget) -> Response:
        code = "refresh_over_budget"
        return _json(STATUS[code], code, str(exc), field=exc.field)

    @app.exception_handler(CostChangeInvalid)
    async def cost_change_invalid(request: Request, exc: CostChangeInvalid) -> Response:
        code = "invalid_cost_change"
        return _json(STATUS[code], code, exc.message, field=exc.field)

    @app.exception_handler(ResultMissing)
    async def missing(request: Request, exc: ResultMissing) -> Response:
        code = "result_expired"
        return _json(STATUS[code], code, "This result is no longer stored; run the query again.")

    @app.exception_handler(SecretBoxError)
    async def secrets_unreadable(request: Request, exc: SecretBoxError) -> Response:
        log.error("%s", exc)
        return _json(STATUS["secrets_unreadable"], "secrets_unreadable", str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _json(
            500, "internal_error", "Belvedere hit an internal error; the server log has details."
        )


async def _by_code(request: Request, exc: Exception) -> Response:
    """A service's exception, answered by the code :data:`CODES` gives its class."""
    code = next(CODES[kind] for kind in type(exc).__mro__ if kind in CODES)
    if _hides_sql(exc):
        return _json(STATUS[code], code, without_sql(str(exc)))
    return _json(STATUS[code], code, str(exc))
