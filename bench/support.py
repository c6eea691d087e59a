"""What every benchmark shares: a real server process, a signed-in client, statistics, reports."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
ADMIN = "admin"
PASSWORD = "bench-password-not-secret"
CSRF_COOKIE = "belvedere_csrf"
CSRF_HEADER = "x-csrf-token"
DEMO = "demo"
PROFILE_ENV = "BENCH_PROFILE"
START_TIMEOUT_SECONDS = 120.0
START_ATTEMPTS = 3
PORT_TAKEN = "address already in use"
STOP_TIMEOUT_SECONDS = 15.0
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Server:
    """A running ``belvedere serve`` process."""

    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def demo_path(self) -> Path:
        """The demo warehouse file the server generated at first start."""
        return self.data_dir / "demo.duckdb"

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server's output, for error messages."""
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(label: str, env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """Start ``belvedere serve`` in a temporary data directory; stop it on exit. ``env``: more
    of its environment (``BELVEDERE_*`` settings).

    With ``BENCH_PROFILE=DIR`` in the environment the server runs under cProfile (every thread)
    and writes ``DIR/LABEL-PORT.prof`` when it stops.
    """
    with tempfile.TemporaryDirectory(prefix="belvedere-bench-") as tmp:
        for attempt in range(1, START_ATTEMPTS + 1):
            server = _start(label, Path(tmp), env or {})
            try:
                _wait_until_healthy(server)
                break
            except ServerExited:
                # Another process may have taken the free port before the server bound it.
                if attempt == START_ATTEMPTS or PORT_TAKEN not in server.log_tail():
                    raise
            except BaseException:
                stop(server)
                raise
        try:
            yield server
        finally:
            stop(server)


def _start(label: str, tmp: Path, more: Mapping[str, str]) -> Server:
    data_dir = tmp / "data"
    log_path = tmp / "server.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BELVEDERE_")}
    env.update(
        BELVEDERE_DATA_DIR=str(data_dir),
        BELVEDERE_HOST=HOST,
        BELVEDERE_PORT=str(port),
        BELVEDERE_ADMIN_PASSWORD=PASSWORD,
    )
    env.update(more)
    if workers := os.environ.get("BENCH_WORKERS"):
        env["BELVEDERE_WORKERS"] = workers
    argv = [sys.executable, "-m", "belvedere", "serve"]
    if profile_dir := os.environ.get(PROFILE_ENV):
        out = Path(profile_dir).resolve() / f"{label}-{port}.prof"
        out.parent.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "bench._profile", str(out), "serve"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(f"http://{HOST}:{port}", process, data_dir, log_path)


class ServerExited(RuntimeError):
    """The server process ended while starting."""


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerExited(f"belvedere serve exited at start:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"belvedere serve did not answer /health in time:\n{server.log_tail()}")


def profile_from_here(server: Server) -> None:
    """Under ``BENCH_PROFILE``, make the server forget its profile so far (start-up, warm-up)."""
    if os.environ.get(PROFILE_ENV):
        server.process.send_signal(signal.SIGUSR1)
        time.sleep(0.2)


def stop(server: Server) -> None:
    """Stop the server gracefully (SIGINT, as Ctrl-C would), killing it if it hangs."""
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGINT)
    try:
        server.process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def signed_in_client(
    server: Server, timeout: float = 60.0, *, username: str = ADMIN, password: str = PASSWORD
) -> Iterator[httpx.Client]:
    """An HTTP client signed in (as the admin unless told) that sends the CSRF header like the
    browser."""
    with httpx.Client(base_url=server.url, timeout=timeout) as client:
        client.get("/api/v1/auth/csrf").raise_for_status()
        response = client.post(
            "/api/v1/auth/login",
            json={"username": username, "password": password},
            headers={CSRF_HEADER: client.cookies[CSRF_COOKIE]},
        )
        response.raise_for_status()
        client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
        yield client


def submit(
    client: httpx.Client, sql: str, *, wait_ms: int = 30_000, **fields: Any
) -> dict[str, Any]:
    """POST a run and return it; raises unless the server answered 200 or 202."""
    body = {"connection": DEMO, "sql": sql, "wait_ms": wait_ms, **fields}
    response = client.post("/api/v1/runs", json=body)
    if response.status_code not in (200, 202):
        raise RuntimeError(f"run refused ({response.status_code}): {response.text}")
    run: dict[str, Any] = response.json()
    return run


# -- process memory ------------------------------------------------------------------------
#: States a run does not leave.
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}
#: The longest the API waits for a run per request.
WAIT_MS = 30_000


def finish(client: httpx.Client, run: dict[str, Any]) -> dict[str, Any]:
    """The run once it has ended (polling with the API's longest wait)."""
    while run["status"] not in TERMINAL:
        response = client.get(f"/api/v1/runs/{run['id']}", params={"wait_ms": WAIT_MS})
        response.raise_for_status()
        run = response.json()
    return run


def download_csv(client: httpx.Client, run_id: str, out: Path) -> None:
    """A run's whole result as CSV, streamed to a file."""
    url = f"/api/v1/runs/{run_id}/export"
    with client.stream("GET", url, params={"format": "csv"}) as response, out.open("wb") as f:
        response.raise_for_status()
        for chunk in response.iter_raw(CHUNK_BYTES):
            f.write(chunk)


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise LookupError(f"{key} not in /proc/{pid}/status")


class RssSampler:
    """Samples a process's anonymous and file-backed RSS in a thread; keeps the peaks (bytes).

    ``VmHWM`` counts both; file-backed pages (e.g. a memory-mapped result) are page cache the
    kernel may reclaim, anonymous ones are the process's own memory.
    """

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self._pid = pid
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.anon = self.file = 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            with suppress(OSError, LookupError):
                self.anon = max(self.anon, _status_kib(self._pid, "RssAnon") * 1024)
                self.file = max(self.file, _status_kib(self._pid, "RssFile") * 1024)
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def peak_rss(pid: int) -> int:
    """Peak resident set size of a process in bytes (``VmHWM``)."""
    return _status_kib(pid, "VmHWM") * 1024


def rss(pid: int) -> int:
    """Current resident set size of a process in bytes (``VmRSS``)."""
    return _status_kib(pid, "VmRSS") * 1024


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/PID/stat`` after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:  # field 4: the parent
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """CPU time (user + system) a process has used so far, all threads together; with
    ``children``, its live child processes' too (a server's worker processes)."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15
    own = ticks / os.sysconf("SC_CLK_TCK")
    if not children:
        return own
    return own + sum(cpu_seconds(child, children=True) for child in _children(pid))


def reset_peak_rss(pid: int) -> bool:
    """Reset a process's ``VmHWM`` to its current RSS; ``False`` where the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Phase:
    """Wall time and the server's memory over one phase of a round (bytes): ``VmHWM`` reset
    when the phase begins, plus sampled anonymous and file-backed RSS."""

    server: Server
    seconds: float = 0.0
    before: int = 0
    peak: int = 0
    anon: int = 0
    file: int = 0
    reset: bool = False

    def __enter__(self) -> Phase:
        self.before = rss(self.server.pid)
        self.reset = reset_peak_rss(self.server.pid)
        self._sampler = RssSampler(self.server.pid).__enter__()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        self._sampler.__exit__()
        self.peak = peak_rss(self.server.pid)
        self.anon, self.file = self._sampler.anon, self._sampler.file


def count_lines(path: Path) -> int:
    """Newlines in a file, read in chunks."""
    with path.open("rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(CHUNK_BYTES), b""))


# -- statistics and reports ----------------------------------------------------------------
def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile, interpolated between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


@dataclass
class Report:
    """One benchmark's figures, printed as labelled lines ending with the verdict."""

    name: str
    measured: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    verdicts: list[tuple[str, bool]] = field(default_factory=list)

    def add(self, label: str, value: str) -> None:
        self.lines.append((label, value))

    def target(self, description: str, met: bool) -> None:
        self.verdicts.append((description, met))

    @property
    def met(self) -> bool:
        return all(met for _, met in self.verdicts)

    def render(self) -> str:
        rows = [*self.lines]
        rows += [("target", f"{d}: {'MET' if m else 'MISSED'}") for d, m in self.verdicts]
        width = max(len(label) for label, _ in rows)
        body = "\n".join(f"  {label:<{width}}  {value}" for label, value in rows)
        return f"== {self.name}: {self.measured}\n{body}"


def expect(condition: bool, message: str) -> None:
    """Stop the benchmark when a result is wrong (unlike ``assert``, survives ``-O``)."""
    if not condition:
        raise RuntimeError(message)
