"""Fixtures of the schedule tests: an SMTP server on loopback, and services that send to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from belvedere.services import Services
from belvedere.settings import Settings
from tests.schedules.scheduling import make_services
from tests.support.delivery import Received, mail_server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mail() -> Iterator[tuple[int, list[Received]]]:
    """aiosmtpd on a free port: (its port, the messages it received)."""
    with mail_server() as found:
        yield found


@pytest.fixture
def scheduling(
    make_settings: Callable[..., Settings], demo_path: Path, mail: tuple[int, list[Received]]
) -> Iterator[Services]:
    """Services on the demo warehouse that send e-mail to ``mail``."""
    services = make_services(make_settings, demo_path, mail[0])
    yield services
    services.close()
