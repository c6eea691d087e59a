"""An ASGI app served by uvicorn on a :class:`~tests.support.servers.loop.LoopServer`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.support.servers.loop import LoopServer

START_SECONDS = 30.0


class AppServer(LoopServer):
    """``app`` over real HTTP on a free loopback port, until :meth:`close`."""

    close_seconds = 15.0

    def __init__(self, app: Any) -> None:
        self._app = app
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        super().__init__("app-server")

    async def _open(self) -> None:
        config = uvicorn.Config(
            self._app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = server = uvicorn.Server(config)
        self._serving = asyncio.create_task(server.serve())
        async with asyncio.timeout(START_SECONDS):
            while not server.started:
                if self._serving.done():
                    raise RuntimeError("the test server did not start")
                await asyncio.sleep(0.02)

    async def _close(self) -> None:
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await asyncio.wait({self._serving}, timeout=self.close_seconds)


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` over HTTP until the block ends; yields its base URL."""
    with AppServer(app) as server:
        yield server.url
