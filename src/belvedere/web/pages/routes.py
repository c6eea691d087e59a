"""Pages: sign-in, SQL Lab, charts, dashboards, connections, API docs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from belvedere import __version__
from belvedere.auth.cookies import CSRF_COOKIE, new_csrf_token
from belvedere.auth.roles import PERMISSION_DESCRIPTIONS, Permission, can
from belvedere.store.models import User
from belvedere.web.api.auth import set_csrf_cookie
from belvedere.web.deps import CurrentUser, optional_user

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
ASSETS = Path(__file__).parent.parent / "static" / "build"

router = APIRouter(include_in_schema=False)


#: Longest ``next`` kept; a longer one is not a page of ours.
MAX_NEXT = 2000


def safe_next(target: str | None) -> str:
    """A redirect target after sign-in: a path on this site only, never another site.

    Refused (``/`` instead): anything not starting with one ``/`` (a scheme, ``//host``),
    backslashes (browsers read ``/\\host`` as ``//host``), control characters (browsers drop
    tabs and newlines, so ``/<tab>/host`` is ``//host``) and overlong values.
    """
    if (
        not target
        or len(target) > MAX_NEXT
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return "/"
    return target


def asset_version() -> str:
    """Changes whenever the front-end bundle is rebuilt (cache busting)."""
    stamp = ASSETS / "app.js"
    return str(int(stamp.stat().st_mtime)) if stamp.exists() else "0"


def render(
    request: Request, template: str, user: User | None, page: dict[str, Any], status: int = 200
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


def _forbidden(request: Request, user: User, permission: Permission) -> Response:
    return render(
        request,
        "forbidden.html",
        user,
        {
            "name": "forbidden",
            "message": f"Your role may not {PERMISSION_DESCRIPTIONS[permission]}.",
        },
        status=403,
    )


@router.get("/")
def home(user: CurrentUser) -> Response:
    if can(user.role, Permission.RUN_SQL):
        return RedirectResponse("/sqllab", status_code=303)
    return RedirectResponse("/connections", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    user: Annotated[User | None, Depends(optional_user)],
    next: str | None = None,
) -> Response:
    target = safe_next(next)
    if user is not None:
        return RedirectResponse(target, status_code=303)
    oidc = request.app.state.services.oidc
    page: dict[str, Any] = {"name": "login", "next": target}
    if oidc.enabled:
        page["oidc"] = {
            "label": oidc.label,
            "url": f"/auth/oidc/start?{urlencode({'next': target})}",
        }
    return render(request, "login.html", None, page)


@router.get("/sqllab", response_class=HTMLResponse)
def sqllab(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.RUN_SQL):
        return _forbidden(request, user, Permission.RUN_SQL)
    return render(request, "sqllab.html", user, {"name": "sqllab"})


@router.get("/charts", response_class=HTMLResponse)
def charts_page(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.EDIT_CHARTS):
        return _forbidden(request, user, Permission.EDIT_CHARTS)
    return render(request, "charts.html", user, {"name": "charts"})


@router.get("/charts/new", response_class=HTMLResponse)
def new_chart_page(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.EDIT_CHARTS):
        return _forbidden(request, user, Permission.EDIT_CHARTS)
    return render(request, "explore.html", user, {"name": "explore", "chart_id": None})


@router.get("/charts/{chart_id}", response_class=HTMLResponse)
def chart_page(request: Request, user: CurrentUser, chart_id: int) -> Response:
    if not can(user.role, Permission.EDIT_CHARTS):
        return _forbidden(request, user, Permission.EDIT_CHARTS)
    return render(request, "explore.html", user, {"name": "explore", "chart_id": chart_id})


@router.get("/dashboards", response_class=HTMLResponse)
def dashboards_page(request: Request, user: CurrentUser) -> Response:
    create = can(user.role, Permission.EDIT_CHARTS)
    return render(request, "dashboards.html", user, {"name": "dashboards", "create": create})


@router.get("/dashboards/{dashboard_id}", response_class=HTMLResponse)
def dashboard_page(request: Request, user: CurrentUser, dashboard_id: int) -> Response:
    page = {
        "name": "dashboard",
        "dashboard_id": dashboard_id,
        "edit_charts": can(user.role, Permission.EDIT_CHARTS),
    }
    return render(request, "dashboard.html", user, page)


@router.get("/connections", response_class=HTMLResponse)
def connections_page(request: Request, user: CurrentUser) -> Response:
    return render(
        request,
        "connections.html",
        user,
        {"name": "connections", "manage": can(user.role, Permission.MANAGE_CONNECTIONS)},
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.VIEW_AUDIT):
        return _forbidden(request, user, Permission.VIEW_AUDIT)
    retention = request.app.state.services.settings.audit_retention_days
    return render(request, "audit.html", user, {"name": "audit", "retention_days": retention})


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.MANAGE_USERS):
        return _forbidden(request, user, Permission.MANAGE_USERS)
    return render(request, "users.html", user, {"name": "users", "me": user.id})


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> Response:
    return render(request, "api_docs.html", user, {"name": "api_docs"})
