"""``belvedere doctor``: what this environment is, and what is wrong with it."""

from __future__ import annotations

import asyncio
import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata

import click

from belvedere import __version__
from belvedere.runtime import monkey_patching
from belvedere.settings import Settings

PACKAGES = ("duckdb", "pyarrow", "sqlalchemy", "psycopg", "fastapi", "uvicorn", "sqlglot", "grpcio")
ASSET = "web/static/build/app.js"


@dataclass(frozen=True)
class Check:
    """One finding: ``ok``, ``warn`` or ``fail``."""

    status: str
    name: str
    detail: str


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment_checks(settings: Settings) -> list[Check]:
    """Checks that need no database."""
    checks = [
        Check(
            "ok",
            "belvedere",
            f"{__version__} on Python {platform.python_version()} ({sys.platform})",
        ),
        Check("ok", "packages", ", ".join(f"{p} {_version(p)}" for p in PACKAGES)),
        Check(
            "ok",
            "server model",
            f"uvicorn on asyncio, {settings.workers} process(es); warehouse calls on bounded "
            f"thread pools ({settings.query_threads} remote, "
            f"{settings.embedded_query_threads or os.cpu_count()} embedded), never on the "
            "event loop",
        ),
    ]
    patched = monkey_patching()
    checks.append(
        Check(
            "fail",
            "monkey-patching",
            f"{patched} patched the standard library: gRPC in the "
            "BigQuery SDK deadlocks under it; run without gevent/eventlet",
        )
        if patched
        else Check("ok", "monkey-patching", "none (gevent/eventlet not active)")
    )
    data = settings.data_dir
    if data.exists() and os.access(data, os.W_OK):
        checks.append(Check("ok", "data directory", str(data)))
    elif not data.exists():
        checks.append(
            Check("warn", "data directory", f"{data} does not exist yet (created at first start)")
        )
    else:
        checks.append(Check("fail", "data directory", f"{data} is not writable"))
    from belvedere import web

    built = os.path.dirname(web.__file__) + "/" + ASSET.removeprefix("web/")
    checks.append(
        Check("ok", "front-end assets", "built")
        if os.path.exists(built)
        else Check("fail", "front-end assets", "not built: run `make build` (npm ci + esbuild)")
    )
    return checks


def store_checks(settings: Settings) -> list[Check]:
    """Checks of the metadata store and the secret key."""
    from belvedere.store.db import Database

    checks = []
    db = Database(settings.metadata_url)
    try:
        current = db.is_current()
        checks.append(
            Check(
                "ok" if current else "warn",
                "metadata store",
                f"{db.engine.url.render_as_string(hide_password=True)}; "
                + ("schema current" if current else "migrations pending (applied at start)"),
            )
        )
    except Exception as exc:
        checks.append(Check("fail", "metadata store", f"unreachable: {exc}"))
    finally:
        db.dispose()
    key = settings.data_dir / "secret_key"
    if settings.secret_key is not None:
        checks.append(Check("ok", "secret key", "from BELVEDERE_SECRET_KEY"))
    elif key.exists():
        mode = key.stat().st_mode & 0o777
        checks.append(
            Check("ok" if mode & 0o077 == 0 else "warn", "secret key", f"{key} (mode {mode:o})")
        )
    else:
        checks.append(Check("warn", "secret key", "none yet (generated at first start)"))
    return checks


def connection_checks() -> list[Check]:
    """Test every connection, each with a deadline."""
    from belvedere.environment import open_services

    services = open_services()
    checks = []
    try:
        for view in services.connections.list():
            try:
                outcome = asyncio.run(services.connections.check(view.name))
            except Exception as exc:
                checks.append(Check("fail", f"connection {view.name}", str(exc)))
                continue
            checks.append(
                Check(
                    "ok" if outcome.ok else "fail",
                    f"connection {view.name}",
                    f"{outcome.message} ({outcome.elapsed_ms:.0f} ms)",
                )
            )
    finally:
        services.close()
    return checks


def cluster_checks(settings: Settings) -> list[Check]:
    """Checks of the broker, the workers it has seen, and the results store."""
    from belvedere.cli.doctor_cluster import broker_checks, results_check

    return [*broker_checks(settings.broker_url), results_check(settings)]


@click.command()
@click.option(
    "--connections",
    "with_connections",
    is_flag=True,
    help="Also test every connection (each with a deadline).",
)
def doctor(with_connections: bool) -> None:
    """Report on the environment: versions, monkey-patching, server model, store, assets,
    the broker and its workers, the results store."""
    settings = Settings()
    checks = environment_checks(settings) + store_checks(settings) + cluster_checks(settings)
    if with_connections:
        checks += connection_checks()
    colors = {"ok": "green", "warn": "yellow", "fail": "red"}
    for check in checks:
        label = click.style(f"{check.status.upper():4}", fg=colors[check.status])
        click.echo(f"{label}  {check.name}: {check.detail}")
    if any(c.status == "fail" for c in checks):
        raise SystemExit(1)
