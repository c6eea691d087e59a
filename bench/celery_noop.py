"""A Celery application with one task that does nothing, for :mod:`bench.celery_floor`: the
broker (and result backend) is the Redis URL in ``BENCH_CELERY_FLOOR_REDIS``."""

from __future__ import annotations

import os

from celery import Celery

REDIS_ENV = "BENCH_CELERY_FLOOR_REDIS"

app = Celery("belvedere-bench-noop")
app.conf.update(
    broker_url=os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/15"),
    result_backend=os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/15"),
    broker_connection_retry_on_startup=True,
    worker_prefetch_multiplier=1,
    result_expires=60,
)


@app.task(name="bench.noop")
def noop() -> int:
    """Nothing: the round trip alone."""
    return 1
