"""Which workers are alive: each worker process refreshes a key in Redis every second, with a
few seconds' expiry; a worker whose key is gone has stopped (killed, crashed, cut off)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a worker's: a web server without a broker never loads redis
    import redis

log = logging.getLogger(__name__)

KEY_PREFIX = "belvedere:worker:"
#: How often a worker says it is alive.
BEAT_SECONDS = 1.0
#: How long a worker's key outlives its last beat: past it, the worker is presumed stopped.
EXPIRES_SECONDS = 5


def worker_name() -> str:
    """This process's name as a worker: ``host:pid:nonce`` (each prefork child has its own;
    the nonce tells a restarted container, with the same host name and pid, from the one
    that died)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker says of itself at each beat."""

    name: str
    pool: str
    concurrency: int
    queues: tuple[str, ...]
    active: int
    started: float
    beat: float

    @classmethod
    def loads(cls, text: bytes | str) -> WorkerInfo:
        data = json.loads(text)
        data["queues"] = tuple(data.get("queues") or ())
        return cls(**data)


class Heartbeat:
    """A thread that keeps this worker's key alive until :meth:`stop`."""

    def __init__(
        self,
        client: redis.Redis,
        name: str,
        *,
        pool: str,
        concurrency: int,
        queues: tuple[str, ...],
        active: Callable[[], int],
    ) -> None:
        import redis

        self._redis_error = redis.RedisError
        self._client = client
        self.name = name
        self._pool = pool
        self._concurrency = concurrency
        self._queues = queues
        self._active = active
        self._started = time.time()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="belvedere-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def beat(self) -> None:
        """Say once that this worker is alive (raises ``redis.RedisError``)."""
        now = time.time()
        info = WorkerInfo(
            name=self.name,
            pool=self._pool,
            concurrency=self._concurrency,
            queues=self._queues,
            active=self._active(),
            started=self._started,
            beat=now,
        )
        self._client.set(KEY_PREFIX + self.name, json.dumps(asdict(info)), ex=EXPIRES_SECONDS)

    def _beat(self) -> None:
        while not self._stopped.is_set():
            try:
                self.beat()
            except self._redis_error as exc:
                log.debug("heartbeat not sent: %s", exc)
            self._stopped.wait(BEAT_SECONDS)

    def stop(self) -> None:
        """Stop beating and remove the key (a worker that stops cleanly)."""
        self._stopped.set()
        self._thread.join(timeout=3.0)
        with contextlib.suppress(self._redis_error):
            self._client.delete(KEY_PREFIX + self.name)


def workers_seen(client: redis.Redis) -> list[WorkerInfo]:
    """Every worker alive now, by name (raises ``redis.RedisError``)."""
    keys = sorted(client.scan_iter(match=KEY_PREFIX + "*", count=500))
    if not keys:
        return []
    found = []
    for raw in client.mget(keys):
        if raw is None:
            continue  # expired between the scan and the read
        try:
            found.append(WorkerInfo.loads(raw))
        except (ValueError, TypeError):
            log.warning("ignored a malformed worker heartbeat")
    return sorted(found, key=lambda info: info.name)


def alive(client: redis.Redis, names: list[str]) -> set[str]:
    """Those of ``names`` whose worker is alive (raises ``redis.RedisError``)."""
    if not names:
        return set()
    values = client.mget([KEY_PREFIX + name for name in names])
    return {name for name, value in zip(names, values, strict=True) if value is not None}
