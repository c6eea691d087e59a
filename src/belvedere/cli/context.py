"""What every command shares: settings, logging, services."""

from __future__ import annotations

import logging
import os

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


def open_services() -> Services:
    """Services from the environment's settings."""
    settings = Settings()
    configure_logging(settings)
    return Services(settings)


def os_user() -> str:
    """The operating-system user running a command, recorded as the actor."""
    try:
        return os.getlogin()
    except OSError:
        import getpass

        return getpass.getuser()
