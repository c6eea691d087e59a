"""A throwaway Redis server from Debian's packages, on loopback, owned by the tests.

It can be stopped and started again on the same port (a Redis outage), and keeps nothing on
disk: a restart empties it, as a restarted cache-only Redis would.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.support.servers.ports import free_port

START_SECONDS = 10.0


class RedisServer:
    """``redis-server`` on ``127.0.0.1:port``; :meth:`stop` and :meth:`start` for outages."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "Redis is not installed: run `make test` (scripts/install-system-deps.sh "
                "installs Debian's redis-server package)"
            )
        self._binary = binary
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        """``redis://127.0.0.1:PORT/DB``."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        """Start the server (again) and wait until it answers."""
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - the server holds it
        self._process = subprocess.Popen(
            [
                self._binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        until = time.monotonic() + START_SECONDS
        while True:
            try:
                with self.client() as client:
                    client.ping()
                return
            except redis.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > until:
                    raise RuntimeError(
                        f"redis-server did not start: {(self.workdir / 'redis.log').read_text()}"
                    ) from None
                time.sleep(0.02)

    def stop(self) -> None:
        """Kill the server (what it held is lost)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    """A started server; stopped and its files deleted afterwards."""
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
