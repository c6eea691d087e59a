"""``belvedere serve``: the web server (uvicorn on asyncio; ``BELVEDERE_WORKERS`` processes)."""

from __future__ import annotations

import click
import uvicorn

from belvedere import __version__
from belvedere.environment import open_services
from belvedere.native_memory import limit_malloc_arenas
from belvedere.runtime import refuse_monkey_patching


@click.command()
@click.option("--host", help="Address to listen on (default: BELVEDERE_HOST).")
@click.option("--port", type=int, help="Port to listen on (default: BELVEDERE_PORT).")
def serve(host: str | None, port: int | None) -> None:
    """Serve Belvedere (creates the admin account and the demo at first start)."""
    refuse_monkey_patching()
    limit_malloc_arenas()
    services = open_services(migrate_in_child=True)  # a server does not keep Alembic loaded
    settings = services.settings
    first = services.first_start()
    host = host or settings.host
    port = port or settings.port
    url = settings.base_url or f"http://{host}:{port}"
    click.echo(f"Belvedere {__version__} serving at {url} (data in {settings.data_dir})")
    if first.admin_username and first.admin_password:
        click.echo(
            "First start: created the admin account "
            f"{first.admin_username!r} with password {first.admin_password!r} "
            "(shown once; change it with `belvedere users set-password` or in the user menu)."
        )
    elif first.admin_username:
        click.echo(f"First start: created the admin account {first.admin_username!r}.")
    if first.demo_created:
        click.echo("The demo warehouse is connection 'demo'.")

    options = {
        "host": host,
        "port": port,
        "log_level": settings.log_level,
        # Client addresses (sign-in throttling counts per address) and the scheme come from
        # X-Forwarded-* only when the direct peer is one of the trusted proxies.
        "proxy_headers": bool(settings.trusted_proxies.strip()),
        "forwarded_allow_ips": settings.trusted_proxies.strip() or None,
        "server_header": False,
        "timeout_graceful_shutdown": 5,
    }
    if settings.workers > 1:
        # Each process builds its own services and application from the same settings; runs,
        # sessions and results live in the shared store, so any process can answer for any.
        click.echo(f"Serving with {settings.workers} processes.")
        services.close()
        uvicorn.run(
            "belvedere.web.asgi:app_from_environment",
            factory=True,
            workers=settings.workers,
            **options,  # type: ignore[arg-type]
        )
        return

    from belvedere.web.app import create_app

    app = create_app(services)
    try:
        uvicorn.run(app, **options)  # type: ignore[arg-type]
    finally:
        services.close()
