"""The rules of the layout, read from the source so that they stay true: a thin web layer
independent of the ORM and the command line, route modules that do not import each other,
one way into blocking code, every route async, small modules. (That identity/ names no
warehouse is tested in tests/identity/test_identity_capability.py.)"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.web.client import app_clients

SRC = Path(__file__).parents[1] / "src" / "belvedere"
WEB = SRC / "web"
ROUTE_FOLDERS = (WEB / "api", WEB / "pages")
MAX_LINES = 400
#: The crossings into blocking code that only :mod:`belvedere.concurrency` may use.
BLOCKING_CROSSINGS = frozenset({"run_in_executor", "to_thread", "run_in_threadpool"})


def _module(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def _sources(folder: Path = SRC) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports (``from a import b`` yields ``a`` and ``a.b``)."""
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _is_route_module(path: Path) -> bool:
    """A module of web/api or web/pages that defines a ``router``."""
    return any(
        isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(target, ast.Name) and target.id == "router"
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
        for node in _tree(path).body
    )


def _route_modules() -> dict[str, Path]:
    paths = [p for folder in ROUTE_FOLDERS for p in _sources(folder) if _is_route_module(p)]
    return {_module(p): p for p in paths}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def test_the_rules_see_the_code() -> None:
    routes = _route_modules()
    assert {"belvedere.web.api.runs", "belvedere.web.pages.routes"} <= set(routes)
    assert "belvedere.web.api.schemas" not in routes
    assert "belvedere.store.models" in set(_imports(SRC / "store" / "runs.py"))


@pytest.mark.parametrize("banned", ["belvedere.store.models", "belvedere.cli"])
def test_the_web_layer_reads_neither_orm_rows_nor_the_command_line(banned: str) -> None:
    offenders = {
        _module(path): sorted({m for m in _imports(path) if _within(m, banned)})
        for path in _sources(WEB)
    }
    assert {module: found for module, found in offenders.items() if found} == {}


def test_no_route_module_imports_another() -> None:
    routes = _route_modules()
    offenders = {
        module: sorted(
            other
            for other in routes
            if other != module and any(_within(m, other) for m in _imports(path))
        )
        for module, path in routes.items()
    }
    assert {module: found for module, found in offenders.items() if found} == {}


def _crossings(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute) and node.attr in BLOCKING_CROSSINGS:
            found.add(node.attr)
        elif isinstance(node, ast.Name) and node.id in BLOCKING_CROSSINGS:
            found.add(node.id)
        elif isinstance(node, ast.ImportFrom):
            found.update(a.name for a in node.names if a.name in BLOCKING_CROSSINGS)
    return found


def test_blocking_code_is_reached_only_through_the_lanes() -> None:
    outside = [p for p in _sources() if not _within(_module(p), "belvedere.concurrency")]
    offenders = {_module(p): sorted(found) for p in outside if (found := _crossings(p))}
    assert offenders == {}


def test_no_module_is_over_400_lines() -> None:
    sizes = {_module(p): len(p.read_text().splitlines()) for p in _sources()}
    assert {module: n for module, n in sizes.items() if n > MAX_LINES} == {}


@pytest.fixture(scope="module")
def app_routes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[APIRoute]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("architecture"), demo=False)
    services = Services(settings)
    try:
        with app_clients(services) as clients:
            yield list(_api_routes(clients.app.routes))
    finally:
        services.close()


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """The API routes among ``routes``, those of included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(included.routes)  # FastAPI >= 0.165 includes lazily


def _calls(dependant: Dependant) -> Iterator[Callable[..., object]]:
    """A route's endpoint and every dependency it has, nested ones included."""
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _is_async(call: Callable[..., object]) -> bool:
    target = call if inspect.isroutine(call) else getattr(call, "__call__", call)  # noqa: B004
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def test_every_route_and_dependency_is_async(app_routes: list[APIRoute]) -> None:
    """FastAPI runs a plain ``def`` on its own thread pool, a second way into blocking code:
    routes and their dependencies are ``async def`` and put blocking work on a lane."""
    assert len(app_routes) > 40
    offenders = {
        f"{route.path} {sorted(route.methods)}": sorted(
            {
                f"{c.__module__}.{c.__qualname__}"
                for c in _calls(route.dependant)
                if not _is_async(c)
            }
        )
        for route in app_routes
    }
    assert {route: found for route, found in offenders.items() if found} == {}
