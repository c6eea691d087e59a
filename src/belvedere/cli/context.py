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


def os_account() -> str:
    """The operating-system account running a command, for the audit log: the name of the
    process's real user id (environment variables such as ``USER`` are the caller's to set,
    so they are not read), and the terminal's login name when it differs (``sudo``)."""
    uid = os.getuid()
    try:
        import pwd

        name = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        name = f"uid={uid}"
    try:
        login = os.getlogin()
    except OSError:
        return name
    return name if login == name else f"{name} (login {login})"
