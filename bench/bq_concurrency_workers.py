"""``bq_concurrency_workers``: ``bq_concurrency`` on a platform (issue 11): one web server and
two Celery workers on the ``remote`` queue (threads pool, default concurrency), Redis as broker
and bus, PostgreSQL as the metadata store, results in Redis.

``T1``, ``T0`` and ``T`` are measured as in :mod:`bench.bq_concurrency`, every run going
through the workers; ``GET /health`` is polled on the web server. Each round also prints the
workers' CPU.
"""

from __future__ import annotations

from tests.support.faults import HttpProxy

from bench.bq import emulator
from bench.bq_concurrency import measure
from bench.cluster import PASSWORD, as_server, platform, store_rows
from bench.support import Report

NAME = "bq_concurrency_workers"
WORKERS = 2


def run() -> Report:
    with emulator() as emu, HttpProxy(emu.rest_url) as proxy, platform(NAME) as cluster:
        web = as_server(cluster.web("web"))
        workers = [
            cluster.worker(f"worker-{n}", "--queues", "remote") for n in range(1, WORKERS + 1)
        ]
        report = measure(
            web,
            emu,
            proxy,
            PASSWORD,
            NAME,
            f"through a web server and {WORKERS} Celery workers (queue remote) on Redis",
            profile=False,
            workers=lambda: [w.pid for w in workers],
        )
        spread = store_rows(
            cluster.database_url,
            "SELECT worker, COUNT(*) FROM query_runs GROUP BY worker ORDER BY worker",
        )
        report.add(
            "runs per worker (all, from the store)", ", ".join(f"{w}: {n}" for w, n in spread)
        )
        for worker in workers:
            report.add(f"{worker.name} alive at the end", "yes" if worker.alive() else "NO")
    return report
