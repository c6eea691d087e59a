"""Belvedere as a platform team runs it: web servers and Celery workers as separate OS
processes, each with a data directory of its own (no shared local disk), sharing only
PostgreSQL (the metadata store), Redis (the broker and bus) and a results store reached by
URL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import psycopg

from belvedere.cluster.liveness import KEY_PREFIX, WorkerInfo, workers_seen
from tests.support.servers.ports import free_port
from tests.support.servers.redis import RedisServer

ADMIN_PASSWORD = "cluster-admin-password"
SECRET_KEY = "the-same-secret-key-on-every-host-of-the-cluster"
START_SECONDS = 60.0


@dataclass
class Process:
    """One OS process of the cluster (a web server or a worker)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    data_dir: Path
    url: str | None = None
    """``http://127.0.0.1:PORT`` of a web server."""

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and its children (a worker with one process per queue)."""
        for pid in _children(self.process.pid):
            with suppress(ProcessLookupError):
                os.kill(pid, 9)
        self.process.kill()
        self.process.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(proc.name))
            found.extend(_children(int(proc.name)))
    return found


@dataclass
class Cluster:
    """Start web servers and workers on shared settings; everything stops at the end."""

    root: Path
    redis: RedisServer
    database_url: str
    results_url: str
    settings: dict[str, str] = field(default_factory=dict)
    """More ``BELVEDERE_*`` variables for every process."""
    processes: list[Process] = field(default_factory=list)

    def env(self, data_dir: Path, **more: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BELVEDERE_")}
        env.update(
            BELVEDERE_DATA_DIR=str(data_dir),
            BELVEDERE_DATABASE_URL=self.database_url,
            BELVEDERE_BROKER_URL=self.redis.url(0),
            BELVEDERE_RESULTS_URL=self.results_url,
            BELVEDERE_SECRET_KEY=SECRET_KEY,
            BELVEDERE_ADMIN_PASSWORD=ADMIN_PASSWORD,
            BELVEDERE_LOG_LEVEL="info",
            NO_GCE_CHECK="true",
            **self.settings,
            **more,
        )
        return env

    def _start(self, name: str, args: list[str], **more: str) -> Process:
        data_dir = self.root / name
        data_dir.mkdir(parents=True, exist_ok=True)
        log = data_dir / "process.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "belvedere", *args],
                env=self.env(data_dir, **more),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started = Process(name, process, log, data_dir)
        self.processes.append(started)
        return started

    def web(self, name: str, **more: str) -> Process:
        """A web server (``belvedere serve``), once it answers ``/health``."""
        return self.webs(name, **more)[0]

    def webs(self, *names: str, **more: str) -> list[Process]:
        """Web servers booting at the same time, once each answers ``/health``."""
        started = []
        for name in names:
            port = free_port()
            web = self._start(
                name, ["serve"], BELVEDERE_HOST="127.0.0.1", BELVEDERE_PORT=str(port), **more
            )
            web.url = f"http://127.0.0.1:{port}"
            started.append(web)
        for web in started:
            _wait(partial(_healthy, web.url or ""), web, "answer /health")
        return started

    def worker(self, name: str, *args: str, **more: str) -> Process:
        """A worker (``belvedere worker ARGS``), once each of its processes beats."""
        before = self.workers_alive()
        worker = self._start(name, ["worker", *args], **more)
        expected = _beats(args)
        _wait(lambda: len(self.workers_alive() - before) >= expected, worker, "beat")
        return worker

    def hosts(
        self, webs: tuple[str, ...], workers: dict[str, tuple[str, ...]]
    ) -> tuple[list[Process], list[Process]]:
        """Web servers and workers (name: ARGS) started side by side, much faster than one
        after the other; once every web server answers and every worker process beats."""
        before = self.workers_alive()
        started = [self._start(name, ["worker", *args]) for name, args in workers.items()]
        servers = self.webs(*webs) if webs else []
        expected = sum(_beats(args) for args in workers.values())
        for worker in started:
            _wait(lambda: len(self.workers_alive() - before) >= expected, worker, "beat")
        return servers, started

    def workers_alive(self) -> set[str]:
        """Names of the workers whose heartbeat is in Redis now."""
        with self.redis.client() as client:
            return {key.decode()[len(KEY_PREFIX) :] for key in client.scan_iter(KEY_PREFIX + "*")}

    def heartbeats(self) -> list[WorkerInfo]:
        """What each live worker says of itself (its queues, its active runs)."""
        with self.redis.client() as client:
            return workers_seen(client)

    def active_runs(self) -> list[tuple[str, str, str | None]]:
        """``(id, status, worker)`` of each run the metadata store holds `queued` or
        `running`, read from PostgreSQL directly."""
        url = self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT id, status, worker FROM query_runs"
                " WHERE status IN ('queued', 'running') ORDER BY submitted_at"
            ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def stop(self) -> None:
        """Stop every process: all are told at once, then each is waited for."""
        for process in self.processes:
            if process.alive():
                process.process.terminate()
        for process in reversed(self.processes):
            process.stop()


def _beats(args: tuple[str, ...]) -> int:
    """How many worker processes ``belvedere worker ARGS`` runs (one per queue)."""
    return 1 if "--queues" in args and "," not in args[args.index("--queues") + 1] else 2


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _wait(condition: object, process: Process, what: str) -> None:
    assert callable(condition)
    until = time.monotonic() + START_SECONDS
    while not condition():
        if not process.alive():
            raise RuntimeError(f"{process.name} exited before it would {what}:\n{process.output()}")
        if time.monotonic() > until:
            raise RuntimeError(
                f"{process.name} did not {what} in {START_SECONDS} s:\n{process.output()}"
            )
        time.sleep(0.05)


@contextmanager
def cluster(
    root: Path, redis: RedisServer, database_url: str, results_url: str
) -> Iterator[Cluster]:
    """A cluster with no process yet; every process started in it stops afterwards."""
    running = Cluster(root, redis, database_url, results_url)
    try:
        yield running
    finally:
        running.stop()
