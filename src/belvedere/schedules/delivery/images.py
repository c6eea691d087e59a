"""The PNGs of webhook reports behind unguessable links that expire (``GET
/schedule-images/{token}.png``, no sign-in: the token is the credential).

A PNG is stored once, named by its SHA-256; each link is a small file named by the SHA-256 of
its token (the token itself is written nowhere) holding the PNG's name and when it expires.
Blocking (files): call it on the io lane.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from belvedere.schedules.delivery.report import Report

#: What a token looks like (``secrets.token_urlsafe(32)``); anything else is unknown at once.
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
#: How long a PNG no link names is kept before a sweep deletes it (a link may be being written).
ORPHAN_GRACE_SECONDS = 3600.0


@dataclass(frozen=True)
class StoredImage:
    """An image a link resolves to."""

    png: bytes
    expires_at: float  # Unix time
    seconds_left: float


class ImageLinks:
    """Expiring links to PNGs, in ``directory`` (``DATA_DIR/schedule-images``)."""

    def __init__(
        self, directory: Path, ttl_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.directory = directory
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._images = directory / "png"
        self._links = directory / "links"

    def put(self, png: bytes) -> str:
        """A new token for ``png``, valid for ``ttl_seconds``."""
        self._images.mkdir(parents=True, exist_ok=True)
        self._links.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(png).hexdigest()
        image = self._images / f"{digest}.png"
        if image.exists():
            image.touch()  # a sweep keeps what was just linked
        else:
            _write(image, png)
        token = secrets.token_urlsafe(32)
        expires_at = self._clock() + self.ttl_seconds
        _write(self._link(token), f"{digest} {expires_at!r}".encode())
        return token

    def urls(self, report: Report, base_url: str) -> list[str]:
        """A link to each PNG of ``report`` (in the order of its sections), under ``base_url``
        (the server's public URL)."""
        base = base_url.rstrip("/")
        return [
            f"{base}/schedule-images/{self.put(section.png)}.png"
            for section in report.sections
            if section.png is not None
        ]

    def find(self, token: str) -> StoredImage | None:
        """The image of ``token``; ``None`` if unknown or expired."""
        if not TOKEN.fullmatch(token):
            return None
        link = self._link(token)
        try:
            digest, expires = link.read_text().split()
            expires_at = float(expires)
            left = expires_at - self._clock()
            if left <= 0:
                link.unlink(missing_ok=True)
                return None
            return StoredImage((self._images / f"{digest}.png").read_bytes(), expires_at, left)
        except (OSError, ValueError):
            return None

    def get(self, token: str) -> bytes | None:
        """The PNG of ``token``; ``None`` if unknown or expired."""
        found = self.find(token)
        return found.png if found else None

    def sweep(self) -> int:
        """Delete expired links and the PNGs no link names; how many files went."""
        now = self._clock()
        removed = 0
        named: set[str] = set()
        for link in _files(self._links):
            try:
                digest, expires = link.read_text().split()
                if float(expires) > now:
                    named.add(digest)
                    continue
            except (OSError, ValueError):
                pass
            link.unlink(missing_ok=True)
            removed += 1
        for image in _files(self._images):
            try:
                fresh = time.time() - image.stat().st_mtime < ORPHAN_GRACE_SECONDS
            except OSError:
                continue
            if image.stem not in named and not fresh:
                image.unlink(missing_ok=True)
                removed += 1
        return removed

    def _link(self, token: str) -> Path:
        return self._links / hashlib.sha256(token.encode()).hexdigest()


def _files(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    except FileNotFoundError:
        return []


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (readers never see half a file)."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    partial.write_bytes(data)
    os.replace(partial, path)
