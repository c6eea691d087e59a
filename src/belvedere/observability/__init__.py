"""Metrics for Prometheus: what each process counts (:class:`Metrics`) and what is read at
scrape time (:mod:`~belvedere.observability.collectors`); served by ``GET /metrics`` on web
servers and by :func:`serve_worker_metrics` on workers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from belvedere.concurrency import Pools
from belvedere.observability.collectors import InstallationCollector, LaneCollector
from belvedere.observability.metrics import Metrics, serve_worker_metrics
from belvedere.store.runs import Runs

if TYPE_CHECKING:
    import redis

__all__ = ["Metrics", "process_metrics", "serve_worker_metrics"]


def process_metrics(runs: Runs, pools: Pools, broker: redis.Redis | None) -> Metrics:
    """A process's metrics (a web server's or a worker's): its own counters and lanes, and
    the installation's state read at each scrape."""
    metrics = Metrics()
    metrics.watch(LaneCollector(pools))
    metrics.watch(InstallationCollector(runs, broker))
    return metrics
