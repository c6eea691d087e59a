"""A Celery worker's consumer of the broker (:func:`belvedere.cluster.celery.create_celery`
names it), in a module of its own: only a worker imports Celery's worker machinery."""

from __future__ import annotations

import functools
from typing import Any

from celery.worker.consumer import Consumer


class PromptConsumer(Consumer):  # type: ignore[misc]
    """Celery's consumer, reconnecting to Redis within a second of its return (Celery's own
    backoff grows to 30 s: runs sent meanwhile would wait that long)."""

    def ensure_connected(self, conn: Any) -> Any:
        conn.ensure_connection = functools.partial(
            conn.ensure_connection, interval_start=0, interval_step=0.5, interval_max=1
        )
        return super().ensure_connected(conn)
