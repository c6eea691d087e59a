"""The metrics a process counts as it works: runs ended, how long they ran and waited, result
cache lookups; in a registry of its own (one per :class:`~belvedere.services.Services`), so
that several applications in one process never share counters."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from belvedere.store.runs import RunRecord

#: Buckets of a run's duration, from a cached-size DuckDB query to an hour-long warehouse job.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
#: Buckets of a run's wait between submitted and started.
WAIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class Metrics:
    """A registry with the process, platform and garbage-collector collectors, the counters
    of the execution path, and whatever collectors :meth:`watch` adds."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self._runs = Counter(
            "belvedere_runs",
            "Runs that ended, by final status, surface and connection.",
            ["status", "surface", "connection"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "belvedere_run_duration_seconds",
            "Seconds from a run's start to its end (runs that started).",
            ["surface", "status"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self._queue_wait = Histogram(
            "belvedere_run_queue_wait_seconds",
            "Seconds from a run's submission to its start, by queue.",
            ["queue"],
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self._cache = Counter(
            "belvedere_result_cache_lookups",
            "Lookups of a reusable result, by outcome (hit or miss).",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in ("hit", "miss"):
            self._cache.labels(outcome)
        self._watched: list[Collector] = []

    def run_started(self, queue: str, waited_seconds: float) -> None:
        """Count a run's wait to start, where it started. ``queue`` is where it waited:
        ``embedded`` or ``remote`` (a broker's queue), or ``local`` (the server process's own
        lanes, without a broker)."""
        self._queue_wait.labels(queue).observe(max(0.0, waited_seconds))

    def run_ended(self, run: RunRecord) -> None:
        """Count a run that reached its final state, once, in the process that ended it."""
        self._runs.labels(run.status, run.surface, run.connection_name).inc()
        if run.started_at is not None and run.finished_at is not None:
            self._duration.labels(run.surface, run.status).observe(
                _seconds(run.started_at, run.finished_at)
            )

    def cache_lookup(self, hit: bool) -> None:
        """Count a lookup of a reusable result."""
        self._cache.labels("hit" if hit else "miss").inc()

    def watch(self, collector: Collector) -> None:
        """Read ``collector`` at every scrape (closed with these metrics if it has ``close``)."""
        self.registry.register(collector)
        self._watched.append(collector)

    def close(self) -> None:
        """Release what the watched collectors hold (connections)."""
        for collector in self._watched:
            close = getattr(collector, "close", None)
            if close is not None:
                close()


def _seconds(start: datetime, end: datetime) -> float:
    """``end - start`` in seconds, never negative (naive times are UTC, as the store's)."""
    if (start.tzinfo is None) != (end.tzinfo is None):
        start, end = (t.replace(tzinfo=UTC) if t.tzinfo is None else t for t in (start, end))
    return max(0.0, (end - start).total_seconds())


def serve_worker_metrics(
    registry: CollectorRegistry,
    port: int,
    host: str = "0.0.0.0",  # noqa: S104 - scraped from other machines
) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``registry`` as Prometheus text on ``http://host:port/metrics`` from a daemon
    thread (a worker has no web server of its own); stop it with ``server.shutdown()``."""
    return start_http_server(port, addr=host, registry=registry)
