"""Run the benchmarks: ``python -m bench`` runs them all, ``python -m bench NAME...`` some.

Exits 1 when a target is missed, 2 when a benchmark could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable

from bench import (
    api_overhead,
    bq_concurrency,
    bq_concurrency_workers,
    bq_latency,
    bq_overhead,
    bq_schema_load,
    bq_table_export,
    celery_overhead,
    csv_export,
    dashboard_load,
    health_under_load,
    memory,
    queue_burst,
    schedules_burst,
)
from bench.support import Report

BENCHMARKS: dict[str, Callable[[], Report]] = {
    api_overhead.NAME: api_overhead.run,
    csv_export.NAME: csv_export.run,
    health_under_load.NAME: health_under_load.run,
    bq_table_export.NAME: bq_table_export.run,
    bq_schema_load.NAME: bq_schema_load.run,
    bq_concurrency.NAME: bq_concurrency.run,
    dashboard_load.NAME: dashboard_load.run,
    bq_concurrency_workers.NAME: bq_concurrency_workers.run,
    celery_overhead.NAME: celery_overhead.run,
    queue_burst.NAME: queue_burst.run,
    bq_overhead.NAME: bq_overhead.run,
    bq_latency.NAME: bq_latency.run,
    memory.NAME: memory.run,
    schedules_burst.NAME: schedules_burst.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    args = parser.parse_args(argv)
    names: list[str] = args.names or list(BENCHMARKS)
    if unknown := [n for n in names if n not in BENCHMARKS]:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    missed = broken = False
    for name in names:
        load_before = os.getloadavg()[0]
        try:
            report = BENCHMARKS[name]()
        except Exception:
            traceback.print_exc(file=sys.stdout)
            print(f"== {name}: could not run", flush=True)
            broken = True
            continue
        report.add(
            "machine",
            f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
            f"({os.cpu_count()} cores; other processes' load skews every figure)",
        )
        print(report.render(), flush=True)
        missed = missed or not report.met
    return 2 if broken else 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
