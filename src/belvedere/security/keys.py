"""The server's secret key: from settings, else generated once into the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from belvedere.settings import Settings


def load_secret_key(settings: Settings) -> bytes:
    """Return the secret key, creating ``DATA_DIR/secret_key`` (mode 0600) on first use."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = settings.data_dir / "secret_key"
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
