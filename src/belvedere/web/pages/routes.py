"""Pages: sign-in, SQL Lab, charts, dashboards, schedules, connections, API docs."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from belvedere.auth.account import Account
from belvedere.auth.roles import PERMISSION_DESCRIPTIONS, Permission, Role, can
from belvedere.charts.errors import ChartNotFound
from belvedere.dashboards.layout import GRID_COLUMNS
from belvedere.store.ids import RowId
from belvedere.web.deps import CurrentUser, ServicesDep, optional_user
from belvedere.web.redirects import safe_next
from belvedere.web.rendering import render

router = APIRouter(include_in_schema=False)


def _forbidden(request: Request, user: Account, permission: Permission) -> Response:
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


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, user: CurrentUser) -> Response:
    """Home: your favourites and your recent queries, charts and dashboards."""
    page = {
        "name": "home",
        "run_sql": can(user.role, Permission.RUN_SQL),
        "edit_charts": can(user.role, Permission.EDIT_CHARTS),
    }
    return render(request, "home.html", user, page)


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request,
    user: Annotated[Account | None, Depends(optional_user)],
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
async def sqllab(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.RUN_SQL):
        return _forbidden(request, user, Permission.RUN_SQL)
    return render(request, "sqllab.html", user, {"name": "sqllab"})


@router.get("/charts", response_class=HTMLResponse)
async def charts_page(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.EDIT_CHARTS):
        return _forbidden(request, user, Permission.EDIT_CHARTS)
    return render(request, "charts.html", user, {"name": "charts"})


@router.get("/charts/new", response_class=HTMLResponse)
async def new_chart_page(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.EDIT_CHARTS):
        return _forbidden(request, user, Permission.EDIT_CHARTS)
    return render(request, "explore.html", user, {"name": "explore", "chart_id": None})


@router.get("/charts/{chart_id}", response_class=HTMLResponse)
async def chart_page(
    request: Request, user: CurrentUser, services: ServicesDep, chart_id: RowId
) -> Response:
    if not can(user.role, Permission.EDIT_CHARTS):
        return _forbidden(request, user, Permission.EDIT_CHARTS)
    try:
        await services.charts.owned(chart_id, user.id)
    except ChartNotFound:  # not a blank builder: say so
        page = {
            "name": "problem",
            "title": "No such chart",
            "message": f"You have no chart {chart_id}: it may have been deleted, or be "
            "someone else's.",
        }
        return render(request, "problem.html", user, page, status=404)
    await services.home.viewed(user, "chart", chart_id)  # for Home's recent charts
    return render(request, "explore.html", user, {"name": "explore", "chart_id": chart_id})


@router.get("/dashboards", response_class=HTMLResponse)
async def dashboards_page(request: Request, user: CurrentUser) -> Response:
    create = can(user.role, Permission.EDIT_CHARTS)
    return render(request, "dashboards.html", user, {"name": "dashboards", "create": create})


@router.get("/dashboards/{dashboard_id}", response_class=HTMLResponse)
async def dashboard_page(
    request: Request, user: CurrentUser, services: ServicesDep, dashboard_id: int
) -> Response:
    await services.home.viewed(user, "dashboard", dashboard_id)  # for Home's recent dashboards
    page = {
        "name": "dashboard",
        "dashboard_id": dashboard_id,
        "edit_charts": can(user.role, Permission.EDIT_CHARTS),
        "gridColumns": GRID_COLUMNS,
    }
    return render(request, "dashboard.html", user, page)


@router.get("/connections", response_class=HTMLResponse)
async def connections_page(request: Request, user: CurrentUser) -> Response:
    return render(
        request,
        "connections.html",
        user,
        {"name": "connections", "manage": can(user.role, Permission.MANAGE_CONNECTIONS)},
    )


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.VIEW_AUDIT):
        return _forbidden(request, user, Permission.VIEW_AUDIT)
    retention = request.app.state.services.settings.audit_retention_days
    return render(request, "audit.html", user, {"name": "audit", "retention_days": retention})


@router.get("/spend", response_class=HTMLResponse)
async def spend_page(request: Request, user: CurrentUser) -> Response:
    """What queries billed: everyone's for admins (and the rules), each user's own."""
    page = {"name": "spend", "admin": user.role == Role.ADMIN.value}
    return render(request, "spend.html", user, page)


@router.get("/schedules", response_class=HTMLResponse)
async def schedules_page(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.RUN_SQL):
        return _forbidden(request, user, Permission.RUN_SQL)
    page = {"name": "schedules", "admin": user.role == Role.ADMIN.value}
    return render(request, "schedules.html", user, page)


@router.get("/users", response_class=HTMLResponse)
async def users_page(request: Request, user: CurrentUser) -> Response:
    if not can(user.role, Permission.MANAGE_USERS):
        return _forbidden(request, user, Permission.MANAGE_USERS)
    return render(request, "users.html", user, {"name": "users", "me": user.id})


@router.get("/api/docs", response_class=HTMLResponse)
async def api_docs(
    request: Request, user: Annotated[Account | None, Depends(optional_user)]
) -> Response:
    return render(request, "api_docs.html", user, {"name": "api_docs"})
