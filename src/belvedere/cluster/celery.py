"""The Celery application: one task, two queues (embedded engines and remote warehouses).

Runs of embedded engines (DuckDB) and of remote warehouses (BigQuery, PostgreSQL) go to
separate queues, so that a burst of BigQuery waits never holds up DuckDB and the other way
round; ``belvedere worker --queues`` picks which a worker takes. Messages are JSON, never
pickles. A message is taken when its run starts (``acks_late`` off): a worker that dies
mid-run leaves no message to run it twice; the reaper (:mod:`belvedere.cluster.reaper`) ends
that run. A message a dead worker had reserved but not started comes back after
``VISIBILITY_SECONDS``; the run's compare-and-set start makes a second delivery harmless.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Celery, Kombu and redis are imported when used: a server without a
    import redis  # broker never loads them (about 15 MB)
    from celery import Celery

#: The task that runs one query.
EXECUTE_TASK = "belvedere.execute_run"
#: How long a message reserved by a worker that died stays invisible before it is delivered again.
VISIBILITY_SECONDS = 30


class WorkQueue(StrEnum):
    """The queues, by the kind of engine their runs use."""

    EMBEDDED = "embedded"
    REMOTE = "remote"

    @property
    def routing_name(self) -> str:
        """The queue's name in the broker."""
        return f"belvedere.{self.value}"

    @classmethod
    def for_backend(cls, embedded: bool) -> WorkQueue:
        return cls.EMBEDDED if embedded else cls.REMOTE


#: Timeouts of a call to the broker's Redis: a scrape, a sweep, a heartbeat or
#: ``belvedere doctor`` never hangs on it.
SOCKET_TIMEOUT_SECONDS = 1.0


def broker_client(url: str) -> redis.Redis:
    """A client of the broker's Redis with short timeouts (one per process: ``services.broker``;
    its connections are pooled)."""
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS
    )


def create_celery(broker_url: str) -> Celery:
    """The Celery application on ``broker_url`` (Redis)."""
    from celery import Celery
    from kombu import Queue  # type: ignore[attr-defined]

    app = Celery("belvedere", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_queues=[Queue(queue.routing_name) for queue in WorkQueue],  # type: ignore[no-untyped-call]
        task_default_queue=WorkQueue.REMOTE.routing_name,
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_consumer="belvedere.cluster.consumer:PromptConsumer",
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_connection_timeout=1.0,
        broker_transport_options={
            "visibility_timeout": VISIBILITY_SECONDS,
            "socket_timeout": 2.0,
            "socket_connect_timeout": 1.0,
            # A web server that cannot reach Redis says so at once (503), instead of retrying
            # for seconds while its client waits; workers reconnect on their own, forever.
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.1,
            "interval_max": 0.2,
        },
        broker_heartbeat=0,
        task_publish_retry=False,
    )
    return app
