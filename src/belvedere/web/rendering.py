"""Server-rendered page shells with their data for the browser code as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from belvedere import __version__
from belvedere.auth.account import Account
from belvedere.auth.cookies import CSRF_COOKIE, new_csrf_token
from belvedere.auth.roles import Permission, can
from belvedere.web.cookies import set_csrf_cookie

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
ASSETS = Path(__file__).parent / "static" / "build"


def asset_version() -> str:
    """Changes whenever the front-end bundle is rebuilt (cache busting)."""
    stamp = ASSETS / "app.js"
    return str(int(stamp.stat().st_mtime)) if stamp.exists() else "0"


def render(
    request: Request,
    template: str,
    user: Account | None,
    page: dict[str, Any],
    status: int = 200,
) -> Response:
    """A page with its data for the browser code as JSON.

    The template embeds the data with Jinja's ``tojson``, which writes ``<``, ``>``, ``&`` and
    ``'`` as ``\\u`` escapes: no value, whoever wrote it, can close the ``<script>`` element.
    """
    data = {"page": page, "version": __version__}
    if user is not None:
        data["user"] = {
            "username": user.username,
            "role": user.role,
            "permissions": [p.value for p in Permission if can(user.role, p)],
        }
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "page": page,
            "page_data": data,
            "assets": asset_version(),
            "can": lambda p: user is not None and can(user.role, Permission(p)),
            "version": __version__,
        },
        status_code=status,
    )
    if not request.cookies.get(CSRF_COOKIE):
        set_csrf_cookie(request, response, new_csrf_token())
    return response
