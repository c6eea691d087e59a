"""What the BigQuery benchmarks share: an emulator of their own, connections to it, its memory
and CPU, runs followed to their end.

The emulator is the tests' (``tests/support/bigquery/emulator.py``: ``bqemulator`` in its own venv,
installed by ``make bqemulator``). It is not BigQuery: it answers in microseconds where BigQuery
takes tens of milliseconds, runs one query at a time, and some of its operations cost far more
than BigQuery's. Read its figures for Belvedere's own share, not as BigQuery's speed.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from tests.support.bigquery.emulator import OVERRIDE_ENV, PROJECT, Emulator, running_emulator

from bench.support import cpu_seconds, expect, rss

CONNECTION = "bq"


@contextmanager
def emulator() -> Iterator[Emulator]:
    """A fresh emulator on free loopback ports, stopped (by PID) when the block ends."""
    # google-auth never probes the cloud metadata address, here nor in the servers started
    # later (they inherit this environment).
    os.environ["NO_GCE_CHECK"] = "true"
    # Never a shared emulator: its memory is read, it may be restarted, its data is ours.
    os.environ.pop(OVERRIDE_ENV, None)
    with (
        tempfile.TemporaryDirectory(prefix="belvedere-bench-bq-") as tmp,
        running_emulator(Path(tmp)) as started,
    ):
        yield started


def emulator_pid(emu: Emulator) -> int:
    expect(emu.pid is not None, "the emulator is not running")
    assert emu.pid is not None
    return emu.pid


def emulator_rss(emu: Emulator) -> int:
    """The emulator's resident memory now (bytes)."""
    return rss(emulator_pid(emu))


def emulator_cpu(emu: Emulator) -> float:
    """CPU seconds the emulator has used so far."""
    return cpu_seconds(emulator_pid(emu))


def create_table(
    emu: Emulator, dataset: str, sql: str, table: str | None = None, rows: int | None = None
) -> None:
    """Create ``dataset`` in the emulator and run ``sql`` (a ``CREATE TABLE ... AS``) in it;
    with ``table`` and ``rows``, check that table has that many rows."""
    client = emu.client()
    try:
        client.create_dataset(f"{emu.project}.{dataset}")
        client.query(sql).result(timeout=120)
        if table is not None and rows is not None:
            found = client.get_table(f"{emu.project}.{dataset}.{table}").num_rows
            expect(found == rows, f"{dataset}.{table} has {found} rows")
    finally:
        client.close()  # type: ignore[no-untyped-call]


def connection_options(rest_url: str, grpc_target: str) -> dict[str, Any]:
    """A BigQuery connection's options for an emulator (or a proxy in front of it)."""
    return {
        "project": PROJECT,
        "auth": "none",
        "api_endpoint": rest_url,
        "storage_api_endpoint": grpc_target,
        "storage_api_insecure": True,
    }


def add_connection(
    client: httpx.Client, rest_url: str, grpc_target: str, name: str = CONNECTION
) -> None:
    """Add a BigQuery connection as the admin, through the API."""
    body = {"name": name, "kind": "bigquery", "options": connection_options(rest_url, grpc_target)}
    response = client.post("/api/v1/connections", json=body)
    expect(response.status_code == 201, f"adding connection {name} failed: {response.text}")


class CpuMeter:
    """CPU seconds processes use over a block, and its wall time."""

    def __init__(self, **pids: int) -> None:
        self._pids = pids
        self.used: dict[str, float] = {}
        self.seconds = 0.0

    def __enter__(self) -> CpuMeter:
        self._before = {name: self._cpu(name, pid) for name, pid in self._pids.items()}
        self._start = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        self.used = {
            name: self._cpu(name, pid) - self._before[name] for name, pid in self._pids.items()
        }

    @staticmethod
    def _cpu(name: str, pid: int) -> float:
        # A server may run as several worker processes (BELVEDERE_WORKERS): count them all.
        return cpu_seconds(pid, children=name == "server" or name.startswith("worker"))

    def share(self, name: str) -> str:
        """``12.3 s CPU (95% of one core)`` for one of the processes."""
        used = self.used[name]
        return f"{used:.1f} s CPU ({used / max(self.seconds, 1e-9):.0%} of one core)"
