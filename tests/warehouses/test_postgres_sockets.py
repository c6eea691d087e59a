"""Runs against a PostgreSQL server that accepts and never answers end at their deadline and
leave nothing behind: the server's open file descriptors and threads return to where they
were, so a silent database cannot exhaust the server's sockets or threads."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from belvedere.concurrency.lanes import IO_THREADS
from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.web.client import Client, app_clients

RUNS = 50
DEADLINE_SECONDS = 1.0
#: How long workers may take to let go after the last deadline: psycopg's shortest connect
#: timeout (2 s) and some room.
SETTLE_SECONDS = 6.0


class SilentListener:
    """A loopback TCP server that accepts every connection, reads what it is sent, and never
    answers nor closes (as a hung database does); it tells how many clients still hold their
    end open."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)  # so that the accepting thread sees close() soon
        self._closing = threading.Event()
        self.port: int = self._server.getsockname()[1]
        self._open: list[socket.socket] = []
        self.accepted = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="silent-listener", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                peer, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            peer.setblocking(False)
            with self._lock:
                self._open.append(peer)
                self.accepted += 1

    def open_clients(self) -> int:
        """Clients that have not closed their end (no EOF read yet); the listener closes its
        end of the others, so that they no longer count among this process's descriptors."""
        with self._lock:
            still = []
            for peer in self._open:
                try:
                    while peer.recv(65536):
                        pass
                except BlockingIOError:
                    still.append(peer)  # nothing more to read, and no EOF: open
                    continue
                except OSError:
                    pass  # reset
                peer.close()
            self._open = still
            return len(still)

    def close(self) -> None:
        self._closing.set()
        self._thread.join(5)
        self._server.close()
        with self._lock:
            for peer in self._open:
                peer.close()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def own_threads() -> int:
    """Threads of this process but the I/O lane's (metadata reads and writes, which grows on its
    own up to its bound, as requests arrive) and AnyIO's. Belvedere's query pools are bounded
    and full after the warm-up, so any thread more is one a run left behind."""
    io = [t for t in threading.enumerate() if t.name.startswith("belvedere-io")]
    assert len(io) <= IO_THREADS
    return sum(
        1 for t in threading.enumerate() if not t.name.startswith(("AnyIO worker", "belvedere-io"))
    )


def wait_until(condition: Callable[[], bool], seconds: float = SETTLE_SECONDS) -> bool:
    """Whether ``condition()`` came true within ``seconds`` (polled)."""
    until = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > until:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def silent() -> Iterator[SilentListener]:
    listener = SilentListener()
    yield listener
    listener.close()


@pytest.fixture
def api(make_settings: Callable[..., Settings], silent: SilentListener) -> Iterator[Client]:
    services = Services(make_settings(query_threads=RUNS + 4))
    services.first_start()
    services.connections.add(
        "hung",
        "postgres",
        {
            "host": "127.0.0.1",
            "port": silent.port,
            "database": "x",
            "user": "u",
            "sslmode": "disable",
        },
    )
    with app_clients(services) as make:
        yield make().login()
    services.close()


def run(api: Client) -> dict[str, Any]:
    response = api.post(
        "/api/v1/runs",
        json={
            "connection": "hung",
            "sql": "SELECT 1",
            "timeout_seconds": DEADLINE_SECONDS,
            "wait_ms": 10_000,
        },
    )
    answer: dict[str, Any] = response.json()
    return answer.get("run", answer)


def run_many(api: Client, count: int) -> list[dict[str, Any]]:
    """``count`` runs at once, each waited for by its own request."""
    with ThreadPoolExecutor(count, thread_name_prefix="test-client") as pool:
        return list(pool.map(lambda _: run(api), range(count)))


def test_timed_out_runs_leave_no_sockets_nor_threads(api: Client, silent: SilentListener) -> None:
    # Warm-up: pools, clients and caches made, as a server that has run before has them.
    for answer in run_many(api, RUNS):
        assert answer["status"] == "timed_out", answer
    assert wait_until(lambda: silent.open_clients() == 0), "the warm-up's sockets stay open"
    baseline_fds, baseline_threads = open_fds(), own_threads()
    reached = silent.accepted

    started = time.monotonic()
    for answer in run_many(api, RUNS):
        assert answer["status"] == "timed_out", answer
        assert "deadline" in answer["error"]["message"]
    assert time.monotonic() - started < DEADLINE_SECONDS + 3
    assert silent.accepted - reached == RUNS  # every run did reach the silent server

    assert wait_until(lambda: silent.open_clients() == 0), (
        f"{silent.open_clients()} connections to the silent server are still open"
    )
    assert wait_until(lambda: open_fds() <= baseline_fds), (open_fds(), baseline_fds)
    assert wait_until(lambda: own_threads() <= baseline_threads), (own_threads(), baseline_threads)
