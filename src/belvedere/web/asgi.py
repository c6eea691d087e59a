"""The application as an import string, for server processes that build their own (uvicorn
workers): ``belvedere.web.asgi:app_from_environment``."""

from __future__ import annotations

from fastapi import FastAPI

from belvedere.environment import open_services
from belvedere.native_memory import limit_malloc_arenas
from belvedere.web.app import create_app


def app_from_environment() -> FastAPI:
    """Services from the environment's settings, and the application over them."""
    limit_malloc_arenas()
    return create_app(open_services())
