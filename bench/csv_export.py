"""``csv_export``: a full one-million-row CSV export through Belvedere vs DuckDB's own COPY.

Belvedere: ``POST /api/v1/runs`` with ``export: true`` (query into the Arrow results store),
then ``GET /api/v1/runs/{id}/export?format=csv`` streamed to a file. Baseline: ``COPY (same
query) TO 'file.csv' (HEADER)`` on the DuckDB driver in this process, same demo file opened
read-only. Each side runs ``ROUNDS`` times, alternating; the medians are compared. The
server's peak RSS is its ``VmHWM``, reset before each phase, plus sampled anonymous and
file-backed RSS to tell its own memory from mapped result files.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
import httpx

from bench.support import (
    Phase,
    Report,
    count_lines,
    download_csv,
    expect,
    finish,
    median,
    mib,
    profile_from_here,
    serve,
    signed_in_client,
    submit,
)

NAME = "csv_export"
ROWS = 1_000_000
# Every row of the demo's ``sales`` view (990,552: joins, text, timestamps, decimals), plus the
# first 9,448 again: exactly one million realistic rows, the same ones every time.
SQL = "SELECT * FROM sales UNION ALL SELECT * FROM sales WHERE order_line_id <= 9448"
ROUNDS = 3
TARGET_RATIO = 0.5
TARGET_PEAK_BYTES = 500 * 2**20


def _duckdb_copy(demo: Path, out: Path) -> float:
    database = duckdb.connect(str(demo), read_only=True)
    try:
        start = time.perf_counter()
        database.execute(f"COPY ({SQL}) TO '{out}' (HEADER)")
        return time.perf_counter() - start
    finally:
        database.close()


def _run_export(client: httpx.Client) -> str:
    run = submit(client, SQL, wait_ms=30_000, export=True)
    run = finish(client, run)
    expect(run["status"] == "succeeded", f"export run did not succeed: {run}")
    expect(run["row_count"] == ROWS, f"expected {ROWS:,} rows, the run has {run['row_count']}")
    expect(not run["truncated"], "the export run was truncated")
    return str(run["id"])


def run() -> Report:
    baseline: list[float] = []
    runs: list[Phase] = []
    downloads: list[Phase] = []
    lines: dict[str, int] = {}
    with (
        tempfile.TemporaryDirectory(prefix="belvedere-bench-csv-") as tmp,
        serve(NAME) as server,
        signed_in_client(server, timeout=300.0) as client,
    ):
        ours, theirs = Path(tmp) / "belvedere.csv", Path(tmp) / "duckdb.csv"
        profile_from_here(server)
        for _ in range(ROUNDS):
            baseline.append(_duckdb_copy(server.demo_path, theirs))
            with Phase(server) as query:
                run_id = _run_export(client)
            with Phase(server) as download:
                download_csv(client, run_id, ours)
            runs.append(query)
            downloads.append(download)
            lines = {"DuckDB": count_lines(theirs), "Belvedere": count_lines(ours)}
        sizes = f"DuckDB {mib(theirs.stat().st_size)}, Belvedere {mib(ours.stat().st_size)}"
    totals = [r.seconds + d.seconds for r, d in zip(runs, downloads, strict=True)]
    ratio = median(baseline) / median(totals)
    peak = max(p.peak for p in runs + downloads)
    report = Report(NAME, f"a {ROWS:,}-row CSV export of the demo's sales view, {ROUNDS} rounds")
    report.add("baseline", f"DuckDB COPY TO csv: median {_rate(baseline)}")
    report.add("belvedere", f"run + download: median {_rate(totals)}")
    report.add("  run", f"POST /runs export=true, query into Arrow store: {_all(runs)}")
    report.add("  download", f"GET /export?format=csv streamed to a file: {_all(downloads)}")
    report.add("ratio", f"DuckDB time / Belvedere time (medians) = {ratio:.2f}")
    report.add("lines", ", ".join(f"{k} {v:,}" for k, v in lines.items()))
    report.add("size", sizes)
    for label, phases in (("run", runs), ("download", downloads)):
        worst = max(phases, key=lambda p: p.peak)
        scope = "since the phase began" if worst.reset else "since start: reset refused"
        report.add(
            f"server RSS, {label}",
            f"VmHWM {mib(worst.peak)} ({scope}), {mib(worst.before)} before it; "
            f"sampled peaks: anonymous {mib(worst.anon)}, file-backed {mib(worst.file)}",
        )
    report.target(f"ratio >= {TARGET_RATIO}", ratio >= TARGET_RATIO)
    report.target(f"server VmHWM (absolute) < {mib(TARGET_PEAK_BYTES)}", peak < TARGET_PEAK_BYTES)
    expected = ROWS + 1
    report.target(f"both CSVs have {expected:,} lines", all(n == expected for n in lines.values()))
    return report


def _rate(seconds: list[float]) -> str:
    values = ", ".join(f"{s:.2f}" for s in seconds)
    return f"{median(seconds):.2f} s ({ROWS / median(seconds):,.0f} rows/s); rounds: {values} s"


def _all(phases: list[Phase]) -> str:
    return "rounds " + ", ".join(f"{p.seconds:.2f}" for p in phases) + " s"
