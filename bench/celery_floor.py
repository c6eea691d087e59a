"""Celery's own floor on this machine: the round trip of a task that does nothing (send,
a worker takes it, its result comes back), through Redis, with a worker of its own (threads
pool) on a database of the platform's Redis that Belvedere does not use. What a run through
Celery cannot cost less than, whatever Belvedere does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.celery_noop import REDIS_ENV, noop

#: How long the worker may take to answer its first task.
START_SECONDS = 60.0
ROUND_TRIP_SECONDS = 10.0


@contextmanager
def noop_worker(redis_url: str, log: Path) -> Iterator[Callable[[], None]]:
    """Start a worker of :mod:`bench.celery_noop` on ``redis_url``; yield one round trip (a
    call that sends the task and waits for its result); stop the worker at the end."""
    env = {**os.environ, REDIS_ENV: redis_url}
    noop.app.conf.update(broker_url=redis_url, result_backend=redis_url)
    argv = [sys.executable, "-m", "celery", "-A", "bench.celery_noop", "worker"]
    argv += ["--pool", "threads", "--concurrency", "4", "--loglevel", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        noop.delay().get(timeout=START_SECONDS)

        def round_trip() -> None:
            noop.delay().get(timeout=ROUND_TRIP_SECONDS)

        yield round_trip
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
