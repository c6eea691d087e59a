"""The application factory: API, pages, static assets, middleware, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

from belvedere import __version__, housekeeping
from belvedere.auth.cookies import SessionCookies
from belvedere.runtime import refuse_monkey_patching
from belvedere.services import Services
from belvedere.warehouses.registry import preload as preload_backends
from belvedere.web import favicon, metrics
from belvedere.web.api import (
    audit,
    auth,
    catalog,
    charts,
    connections,
    costs,
    dashboard_drill,
    dashboard_transfer,
    dashboards,
    home,
    me,
    runs,
    saved_queries,
    schedule_images,
    schedules,
    spend,
    spend_charts,
    users,
)
from belvedere.web.api.schemas import HealthOut
from belvedere.web.deps import csrf_protect
from belvedere.web.errors import install_error_handlers
from belvedere.web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from belvedere.web.pages import routes as pages
from belvedere.web.pages import signin
from belvedere.web.problem_pages import install_problem_pages
from belvedere.web.staticfiles import StaticAssets

STATIC = Path(__file__).with_name("static")
#: How long a stopping server lets its chores end (a schedule's delivery gives its tick back).
SHUTDOWN_GRACE_SECONDS = 10.0


class _Belvedere(FastAPI):
    """FastAPI with the security headers outermost: on every answer, the server's own 500s
    and the body limit's 413s included."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def create_app(services: Services) -> FastAPI:
    """A Belvedere web application over already-opened services.

    Refuses to exist in a process that gevent or eventlet monkey-patched (see
    :mod:`belvedere.runtime`), whichever server loads it.
    """
    refuse_monkey_patching()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.pools.start_threads()
        await services.pools.io.run(
            lambda: preload_backends({c.kind for c in services.connections.list()})
        )
        chores = housekeeping.start(services)
        yield
        for chore in chores:
            chore.cancel()
        # Let them end (a schedule's delivery gives its tick back) before the pools close.
        if chores:
            await asyncio.wait(chores, timeout=SHUTDOWN_GRACE_SECONDS)
        await services.execution.close()

    app = _Belvedere(
        title="Belvedere",
        version=__version__,
        description="Query warehouses under your own permissions. Sign in through "
        "`POST /api/v1/auth/login`; send the `belvedere_csrf` cookie's value in the "
        "`X-CSRF-Token` header with every change.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.cookies = SessionCookies(
        services.secret_key, services.settings.session_max_hours * 3600
    )
    install_error_handlers(app)
    install_problem_pages(app)  # browsers' 404s and 405s are pages

    @app.get("/health", response_model=HealthOut, tags=["health"])
    async def health() -> HealthOut:
        """Liveness: answers without touching the database or a warehouse."""
        return HealthOut(status="ok", version=__version__)

    routers = (
        runs,
        auth,
        catalog,
        connections,
        saved_queries,
        charts,
        dashboards,
        dashboard_drill,
        dashboard_transfer,
        schedules,
        me,
        home,
        audit,
        users,
        spend,
        spend_charts,
        costs,
    )
    for module in routers:
        app.include_router(module.router, prefix="/api/v1", dependencies=[Depends(csrf_protect)])

    app.include_router(metrics.router)
    app.include_router(schedule_images.router)  # no sign-in: the link's token
    app.include_router(pages.router)
    app.include_router(signin.router)
    app.include_router(favicon.router)
    app.mount("/static", StaticAssets(directory=STATIC, check_dir=False), name="static")
    app.add_middleware(BodyLimitMiddleware, max_bytes=services.settings.max_request_bytes)
    return app
