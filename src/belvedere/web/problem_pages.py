"""Problem pages: a browser that opens an address Belvedere has no page at (404), asks a page
with a method it does not take (405) or writes a malformed address (``/charts/abc``) is shown
a page (with the top bar if signed in, and a link home), never the API's JSON. The API, and
clients that do not ask for HTML, keep the JSON error (:mod:`belvedere.web.errors`).

The address is shown as text: the template escapes it like every value, and it is cut short.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from belvedere.web.deps import optional_user
from belvedere.web.errors import http_failure, invalid_request, wants_html
from belvedere.web.pages.signin import problem

#: The most of an address shown (anyone can write one).
MAX_SHOWN = 120


def _shown(path: str) -> str:
    """A requested path fit to show in a sentence: printable, one line, short."""
    cleaned = "".join(c for c in path if c.isprintable() and not c.isspace()) or "/"
    return cleaned if len(cleaned) <= MAX_SHOWN else cleaned[: MAX_SHOWN - 1] + "…"


async def problem_page(request: Request, status: int) -> Response:
    """The page of an HTTP error ``status`` (404, 405 or 400) for a browser."""
    user = await optional_user(request)
    path = _shown(request.url.path)
    if status == 405:
        title = "Not available this way"
        message = f"The address “{path}” does not take a {request.method} request."
    elif status == 400:
        title = "Bad address"
        message = f"The address “{path}” has a value Belvedere cannot read."
    else:
        title = "Page not found"
        message = f"There is no page at “{path}”. The link may be old, or mistyped."
    return problem(request, user, title, message, status=status)


def _path_only(exc: RequestValidationError) -> bool:
    """Whether every refused parameter is part of the path (``/charts/abc``: no such page)."""
    return all(error.get("loc", ("",))[0] == "path" for error in exc.errors())


def install_problem_pages(app: FastAPI) -> None:
    """Answer browsers' routing errors with pages; everything else as before (JSON)."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_html(request) and exc.status_code in (404, 405):
            page = await problem_page(request, exc.status_code)
            page.headers.update(exc.headers or {})
            return page
        return http_failure(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_html(request) and request.method in ("GET", "HEAD"):
            return await problem_page(request, 404 if _path_only(exc) else 400)
        return invalid_request(exc)
