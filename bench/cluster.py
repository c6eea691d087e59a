"""Belvedere as a platform runs it, for the benchmarks: web servers and Celery workers as OS
processes on a Redis and a metadata store of their own (the tests' harness,
``tests/support/servers/``), plus in-process servers (no broker) on the same store server for
same-run baselines."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy
from tests.support.servers.cluster import ADMIN_PASSWORD, Cluster, Process
from tests.support.servers.postgres import PostgresServer, postgres_server
from tests.support.servers.redis import redis_server

from bench.support import Server

#: The metadata stores a platform can use: PostgreSQL (several hosts), SQLite (one host).
STORES = ("postgresql", "sqlite")
PASSWORD = ADMIN_PASSWORD


@dataclass
class Platform(Cluster):
    """A :class:`Cluster` that can also start in-process servers, each on a store of its own."""

    postgres: PostgresServer | None = None
    standalone: dict[str, str] = field(default_factory=dict)
    """Data directory name of an in-process server -> its database URL."""

    def env(self, data_dir: Path, **more: str) -> dict[str, str]:
        env = super().env(data_dir, **more)
        if (database_url := self.standalone.get(data_dir.name)) is not None:
            del env["BELVEDERE_BROKER_URL"], env["BELVEDERE_RESULTS_URL"]
            env["BELVEDERE_DATABASE_URL"] = database_url
        return env

    def in_process_web(self, name: str) -> Process:
        """A web server that runs queries itself (no broker, local results), on a fresh
        database of the same store server as the platform's."""
        self.standalone[name] = self._new_database(name)
        return self.web(name)

    def _new_database(self, name: str) -> str:
        if self.postgres is None:
            return f"sqlite:///{self.root / f'{name}.db'}"
        database = f"bench_{name.replace('-', '_')}"
        self.postgres.create_database(database)
        return self.postgres.url(database)


@contextmanager
def platform(label: str, store: str = "postgresql") -> Iterator[Platform]:
    """An empty platform (Redis, the metadata store; results in Redis database 1); every
    process started in it, and the servers under it, stop when the block ends."""
    if store not in STORES:
        raise ValueError(f"unknown store {store!r}; choose from {', '.join(STORES)}")
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench-{label}-")))
        redis = stack.enter_context(redis_server(root / "redis"))
        postgres = None
        if store == "postgresql":
            # A folder of its own: the postgres user cannot enter ``root`` (mode 0700).
            workdir = Path(tempfile.mkdtemp(prefix=f"bench-{label}-pg-"))
            postgres = stack.enter_context(postgres_server(workdir))
            postgres.create_database("belvedere")
            database_url = postgres.url("belvedere")
        else:
            database_url = f"sqlite:///{root / 'belvedere.db'}"
        running = Platform(root / "hosts", redis, database_url, redis.url(1), postgres=postgres)
        stack.callback(running.stop)
        yield running


def as_server(process: Process) -> Server:
    """A cluster's web server as the benchmarks' helpers (``signed_in_client``) take it."""
    assert process.url, f"{process.name} is not a web server"
    return Server(process.url, process.process, process.data_dir, process.log)


def store_rows(database_url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    """Rows of a query on a platform's metadata store (what the store recorded)."""
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sqlalchemy.text(sql), params)]
    finally:
        engine.dispose()
