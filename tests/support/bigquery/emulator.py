"""A real BigQuery emulator for the tests: the ``bqemulator`` PyPI package, run as a process.

``scripts/install-bqemulator.sh`` (run by ``make test``) installs it into its own virtual
environment, ``.venv-bqemulator``. :func:`running_emulator` starts it on free loopback ports with a
HOME of the tests' own, into which DuckDB's spatial and avro extensions are imported from their
wheels once (stock bqemulator downloads spatial at start and exits when it cannot: no internet
here). :func:`seed` creates the data the BigQuery tests read; :func:`restart` gives a fresh
process on the same ports (the emulator keeps every query result in memory until it exits).

``BELVEDERE_TEST_BQEMULATOR=host:restport:grpcport`` makes :func:`running_emulator` use an
emulator that already runs there instead (it is neither started nor stopped then).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from tests.support.bigquery.seed import Seeded, seed
from tests.support.servers.ports import free_port

if TYPE_CHECKING:
    from google.cloud import bigquery
    from google.cloud.bigquery_storage_v1 import BigQueryReadClient

REPO = Path(__file__).resolve().parents[3]
VENV = REPO / ".venv-bqemulator"
REQUIREMENTS = Path(__file__).with_name("requirements.txt")
PROJECT = "test-project"
OVERRIDE_ENV = "BELVEDERE_TEST_BQEMULATOR"
START_SECONDS = 60.0
STOP_SECONDS = 3.0  # it stops in ~0.3 s, but ignores TERM after a stalled Storage Read stream

_IMPORT_EXTENSIONS = (
    "import duckdb\n"
    "from duckdb_extensions import import_extension\n"
    "con = duckdb.connect()\n"
    "import_extension('spatial', con=con)\n"
    "import_extension('avro', con=con)\n"
)


class EmulatorError(RuntimeError):
    """The emulator is not installed, did not start, or cannot be restarted."""


@dataclass
class Emulator:
    """A running emulator and how to reach it."""

    rest_url: str
    """``http://127.0.0.1:PORT``: the REST API (``/bigquery/v2/...``)."""
    grpc_target: str
    """``127.0.0.1:PORT``: the Storage Read/Write gRPC APIs, plaintext."""
    project: str = PROJECT
    pid: int | None = None
    """``None`` when the emulator was given by ``BELVEDERE_TEST_BQEMULATOR``."""
    log: Path | None = None
    """Its stdout and stderr."""
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    _command: list[str] = field(default_factory=list, repr=False, compare=False)
    _env: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def client(self) -> bigquery.Client:
        """A REST client of the emulator, without credentials."""
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=self.rest_url),
        )

    def storage_client(self) -> BigQueryReadClient:
        """A Storage Read API client of the emulator, over a plaintext gRPC channel."""
        return storage_client(self.grpc_target)


def storage_client(target: str) -> BigQueryReadClient:
    """A Storage Read API client of ``host:port`` over a plaintext gRPC channel."""
    import grpc
    from google.cloud.bigquery_storage_v1 import BigQueryReadClient
    from google.cloud.bigquery_storage_v1.services.big_query_read.transports import (
        BigQueryReadGrpcTransport,
    )

    transport = BigQueryReadGrpcTransport(channel=grpc.insecure_channel(target))
    return BigQueryReadClient(transport=transport)


def _executable() -> Path:
    executable = VENV / "bin" / "bqemulator"
    if not executable.exists():
        raise EmulatorError(
            f"the BigQuery emulator is not installed in {VENV.name}: run `make test` "
            "(or scripts/install-bqemulator.sh)"
        )
    return executable


def _home() -> Path:
    """The HOME the emulator runs with, holding DuckDB's extensions (imported once)."""
    home = VENV / "home"
    home.mkdir(parents=True, exist_ok=True)
    stamp = home / ".extensions-imported"
    wanted = REQUIREMENTS.read_text()
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions may start at once
        if not stamp.exists() or stamp.read_text() != wanted:
            done = subprocess.run(
                [str(VENV / "bin" / "python"), "-c", _IMPORT_EXTENSIONS],
                env={**_clean_environ(), "HOME": str(home)},
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise EmulatorError(
                    f"importing DuckDB's extensions into {home} failed: {done.stderr[-2000:]}"
                )
            stamp.write_text(wanted)
    return home


def _clean_environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BQEMU_", "BELVEDERE_"))}
    env["NO_GCE_CHECK"] = "true"
    return env


def _log_tail(log: Path | None, limit: int = 3000) -> str:
    if log is None or not log.exists():
        return ""
    return log.read_text(errors="replace")[-limit:]


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _wait_ready(emulator: Emulator, deadline: float) -> None:
    """Wait for GET /readyz to answer 200 and the gRPC port to accept connections."""
    host, grpc_port = emulator.grpc_target.rsplit(":", 1)
    with httpx.Client(timeout=2) as http:
        while True:
            process = emulator._process
            if process is not None and process.poll() is not None:
                raise EmulatorError(
                    f"the emulator exited with code {process.returncode}:\n"
                    f"{_log_tail(emulator.log)}"
                )
            with contextlib.suppress(httpx.TransportError):
                if http.get(f"{emulator.rest_url}/readyz").status_code == 200 and _port_open(
                    host, int(grpc_port)
                ):
                    return
            if time.monotonic() > deadline:
                raise EmulatorError(
                    f"the emulator was not ready within {START_SECONDS:.0f} s:\n"
                    f"{_log_tail(emulator.log)}"
                )
            time.sleep(0.05)  # polling interval, not a wait for something to happen


def _launch(emulator: Emulator) -> None:
    assert emulator.log is not None
    with emulator.log.open("ab") as log:
        emulator._process = subprocess.Popen(
            emulator._command,
            env=emulator._env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal is for pytest; it stops us
        )
    emulator.pid = emulator._process.pid
    try:
        _wait_ready(emulator, time.monotonic() + START_SECONDS)
    except BaseException:
        _stop(emulator)
        raise


def _stop(emulator: Emulator) -> None:
    """TERM, wait, then KILL, by PID."""
    process = emulator._process
    if process is None:
        return
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            # It may ignore TERM, e.g. with a Storage Read stream stuck behind a stalled proxy.
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(STOP_SECONDS)
    emulator._process = None
    emulator.pid = None


def _from_override(value: str) -> Emulator:
    try:
        host, rest_port, grpc_port = value.rsplit(":", 2)
        int(rest_port), int(grpc_port)
    except ValueError:
        message = f"{OVERRIDE_ENV} must be host:restport:grpcport, not {value!r}"
        raise EmulatorError(message) from None
    return Emulator(rest_url=f"http://{host}:{rest_port}", grpc_target=f"{host}:{grpc_port}")


@contextlib.contextmanager
def running_emulator(workdir: Path) -> Iterator[Emulator]:
    """Start an ephemeral emulator (its log in ``workdir``); stop it when the block ends."""
    override = os.environ.get(OVERRIDE_ENV)
    if override:
        emulator = _from_override(override)
        _wait_ready(emulator, time.monotonic() + START_SECONDS)
        yield emulator
        return
    executable = _executable()
    workdir.mkdir(parents=True, exist_ok=True)
    rest_port, grpc_port = free_port(), free_port()
    while grpc_port == rest_port:
        grpc_port = free_port()
    emulator = Emulator(
        rest_url=f"http://127.0.0.1:{rest_port}",
        grpc_target=f"127.0.0.1:{grpc_port}",
        log=workdir / "bqemulator.log",
    )
    # If this process dies without stopping it (killed, say), the kernel kills the emulator:
    # setpriv sets the parent-death signal, then execs it (same PID).
    reaper = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
    emulator._command = [
        *reaper,
        str(executable),
        "start",
        "--rest-host",
        "127.0.0.1",
        "--rest-port",
        str(rest_port),
        "--grpc-host",
        "127.0.0.1",
        "--grpc-port",
        str(grpc_port),
        "--ephemeral",
        "--project",
        PROJECT,
        "--log-level",
        "warning",
    ]
    emulator._env = {**_clean_environ(), "HOME": str(_home())}
    _launch(emulator)
    try:
        yield emulator
    finally:
        _stop(emulator)


def restart(emulator: Emulator) -> None:
    """Stop the emulator and start a fresh, empty one on the same ports (seed it again after).

    Clients and proxies pointed at it keep working: they reconnect.
    """
    if not emulator._command:
        raise EmulatorError(f"an emulator given by {OVERRIDE_ENV} cannot be restarted")
    _stop(emulator)
    _launch(emulator)


__all__ = [
    "PROJECT",
    "Emulator",
    "EmulatorError",
    "Seeded",
    "restart",
    "running_emulator",
    "seed",
    "storage_client",
]
