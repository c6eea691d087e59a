"""`belvedere serve` with several processes: each answers, and a run cancelled through any of
them stops where it runs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ADMIN_PASSWORD, serve
from tests.support.web.client import signed_in


def _workers_of(data_dir: Path) -> list[int]:
    """Server processes (spawned by uvicorn) serving ``data_dir``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except (OSError, ValueError):
            continue
        mine = f"BELVEDERE_DATA_DIR={data_dir}".encode() in environ.split(b"\0")
        if mine and b"spawn_main" in cmdline:  # not the resource tracker
            found.append(int(proc.name))
    return found


FOREVER = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"


@pytest.mark.timeout(120)
def test_two_processes_share_runs_and_cancels(tmp_path: Path) -> None:
    with serve(tmp_path, BELVEDERE_WORKERS="2", BELVEDERE_EMBEDDED_QUERY_THREADS="1") as server:
        assert "Serving with 2 processes." in server.log.read_text()
        assert len(_workers_of(tmp_path)) == 2
        admin = signed_in(server.url, "admin", ADMIN_PASSWORD)
        long = admin.post(
            "/api/v1/runs", json={"connection": "demo", "sql": FOREVER, "wait_ms": 0}
        ).json()
        # New connections land on either process: each must know the run, and cancel it.
        for _ in range(6):
            with httpx.Client(base_url=server.url, cookies=admin.cookies, timeout=10) as fresh:
                seen = fresh.get(f"/api/v1/runs/{long['id']}").json()
                assert seen["status"] in ("queued", "running", "cancelled"), seen
        cancelled = admin.post(f"/api/v1/runs/{long['id']}/cancel").json()
        assert cancelled["status"] == "cancelled"
        # The process that ran it is free again: quick queries succeed on both.
        for n in range(6):
            with httpx.Client(
                base_url=server.url,
                cookies=admin.cookies,
                headers={"x-csrf-token": admin.headers["x-csrf-token"]},
                timeout=30,
            ) as fresh:
                body = {"connection": "demo", "sql": f"SELECT {n} AS n", "wait_ms": 20_000}
                run = fresh.post("/api/v1/runs", json=body).json()
                assert run["status"] == "succeeded", run
