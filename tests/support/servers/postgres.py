"""A throwaway PostgreSQL server from Debian's packages, on loopback, owned by the tests."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.servers.ports import free_port


@dataclass(frozen=True)
class PostgresServer:
    """Where the server listens; ``postgres`` is a trusted superuser on loopback."""

    host: str
    port: int
    user: str = "postgres"

    def url(self, database: str) -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        """Create an empty database."""
        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: run `make test` (scripts/install-system-deps.sh "
            "installs Debian's postgresql package)"
        )
    return Path(found[-1]).parent


def _as_postgres(args: list[str]) -> list[str]:
    # initdb and pg_ctl refuse to run as root: run them as the postgres system user then.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server(workdir: Path) -> Iterator[PostgresServer]:
    """Start a server in ``workdir``; stop it and delete its files afterwards."""
    bindir = _bindir()
    data, sockets = workdir / "data", workdir / "run"
    for folder in (workdir, data, sockets):
        folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        for folder in (data, sockets):
            shutil.chown(folder, "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(sockets / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
                "-o",
                options,
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield PostgresServer("127.0.0.1", port)
    finally:
        subprocess.run(
            _as_postgres(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)
