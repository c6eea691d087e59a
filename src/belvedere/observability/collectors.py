"""Metrics read at scrape time: this process's lanes, and the installation's state (runs
active in the metadata store; with a broker, messages waiting and the workers alive).

A family that cannot be read (Redis or the store away) is left out of that scrape, which
still answers, and counted in ``belvedere_scrape_errors_total{family}``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from belvedere.cluster.liveness import workers_seen
from belvedere.concurrency import Pools
from belvedere.observability.broker import queue_depths, queue_of
from belvedere.store.runs import Runs

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)


class LaneCollector(Collector):
    """How busy each lane of this process is: calls running, and how many it runs at once."""

    def __init__(self, pools: Pools) -> None:
        self._pools = pools

    def describe(self) -> Iterable[Metric]:
        return []  # nothing to check at registration; read at scrape time only

    def collect(self) -> Iterable[Metric]:
        busy = GaugeMetricFamily(
            "belvedere_lane_busy", "Calls running now on a lane of this process.", labels=["lane"]
        )
        size = GaugeMetricFamily(
            "belvedere_lane_size", "Calls a lane of this process runs at once.", labels=["lane"]
        )
        pools = self._pools
        for lane in (pools.io, pools.cpu, pools.remote, pools.embedded, pools.cancel):
            busy.add_metric([lane.name], lane.busy)
            size.add_metric([lane.name], lane.size)
        return [busy, size]


class InstallationCollector(Collector):
    """The installation's state, the same seen from every process: runs queued and running
    (one grouped count in the metadata store); with a broker, messages waiting per queue and
    the workers alive (their heartbeats)."""

    def __init__(self, runs: Runs, broker: redis.Redis | None) -> None:
        """``broker``: the process's client of the broker's Redis, if there is a broker."""
        self._runs = runs
        self._client = broker
        families = ["runs_active"] + (["queues", "workers"] if self._client else [])
        self._errors = dict.fromkeys(families, 0)
        self._lock = threading.Lock()

    def describe(self) -> Iterable[Metric]:
        return []  # nothing to check at registration; read at scrape time only

    def collect(self) -> Iterable[Metric]:
        found = self._read("runs_active", self._runs_active)
        if self._client is not None:
            queues = self._read("queues", self._queues)
            # Redis away: do not wait for it a second time in the same scrape.
            workers = self._read("workers", self._workers) if queues else self._failed("workers")
            found += queues + workers
        errors = CounterMetricFamily(
            "belvedere_scrape_errors",
            "Scrapes that left out a family they could not read (store or Redis away).",
            labels=["family"],
        )
        with self._lock:
            for family, count in self._errors.items():
                errors.add_metric([family], count)
        return [*found, errors]

    def _read(self, family: str, read: Callable[[], list[Metric]]) -> list[Metric]:
        try:
            return read()
        except Exception as exc:
            log.warning("metrics: could not read %s: %s", family, exc)
            return self._failed(family)

    def _failed(self, family: str) -> list[Metric]:
        with self._lock:
            self._errors[family] += 1
        return []

    def _runs_active(self) -> list[Metric]:
        family = GaugeMetricFamily(
            "belvedere_runs_active",
            "Runs queued or running now in the installation, by status.",
            labels=["status"],
        )
        for status, count in self._runs.active_counts().items():
            family.add_metric([status], count)
        return [family]

    def _queues(self) -> list[Metric]:
        assert self._client is not None
        family = GaugeMetricFamily(
            "belvedere_queue_depth",
            "Messages waiting in a broker queue for a worker.",
            labels=["queue"],
        )
        for queue, depth in queue_depths(self._client).items():
            family.add_metric([queue], depth)
        return [family]

    def _workers(self) -> list[Metric]:
        assert self._client is not None
        up = GaugeMetricFamily(
            "belvedere_worker_up",
            "1 for each worker alive (its heartbeat is fresh), with the queues it takes.",
            labels=["worker", "pool", "queues"],
        )
        age = GaugeMetricFamily(
            "belvedere_worker_heartbeat_age_seconds",
            "Seconds since a worker's last heartbeat.",
            labels=["worker"],
        )
        active = GaugeMetricFamily(
            "belvedere_worker_active_runs", "Runs a worker is running now.", labels=["worker"]
        )
        concurrency = GaugeMetricFamily(
            "belvedere_worker_concurrency", "Runs a worker runs at once.", labels=["worker"]
        )
        now = time.time()
        for worker in workers_seen(self._client):
            queues = ",".join(queue_of(queue) for queue in worker.queues)
            up.add_metric([worker.name, worker.pool, queues], 1)
            age.add_metric([worker.name], max(0.0, now - worker.beat))
            active.add_metric([worker.name], worker.active)
            concurrency.add_metric([worker.name], worker.concurrency)
        return [up, age, active, concurrency]
