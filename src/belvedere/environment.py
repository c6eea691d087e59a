"""What a server process or a command starts from: settings from the environment, logging,
and the services built from them."""

from __future__ import annotations

import logging

from belvedere.services import Services
from belvedere.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Log to standard error at the configured level."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.log_level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)


def open_services(*, migrate_in_child: bool = False) -> Services:
    """Services from the environment's settings, with logging configured (``migrate_in_child``:
    see :class:`Services`)."""
    settings = Settings()
    configure_logging(settings)
    return Services(settings, migrate_in_child=migrate_in_child)
