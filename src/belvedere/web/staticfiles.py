"""The front end's built files under ``/static``: a file of the folder, or 404."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

log = logging.getLogger(__name__)


class StaticAssets(StaticFiles):
    """Starlette's ``StaticFiles`` that answers 404, never 500, to anything but a file.

    Refused before the file system is asked: ``.`` and ``..`` segments (decoded from ``%2e``
    and ``%2f`` too), empty segments (``/static//etc/passwd``), NUL bytes and backslashes.
    A folder that is not there (the front end not built) answers 404 as well, with a warning
    in the log, instead of an error per request.
    """

    async def check_config(self) -> None:
        try:
            await super().check_config()
        except RuntimeError as exc:
            log.warning("%s: /static answers 404 (is the front end built?)", exc)

    def get_path(self, scope: Scope) -> str:
        path: str = scope["path"]
        segments = path.split("/")[1:]
        if "\x00" in path or "\\" in path or any(s in ("", ".", "..") for s in segments):
            raise HTTPException(status_code=404)
        return super().get_path(scope)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except OSError:
            raise HTTPException(status_code=404) from None
        except HTTPException as exc:
            if exc.status_code == 401:  # an unreadable file: not one of ours to serve
                raise HTTPException(status_code=404) from None
            raise
