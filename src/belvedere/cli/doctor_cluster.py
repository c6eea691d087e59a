"""``belvedere doctor``'s checks of what processes share: the broker and the workers it has
seen, and the results store."""

from __future__ import annotations

import os
import time
import uuid
from urllib.parse import urlsplit

import pyarrow.fs as pafs
import redis

from belvedere.cli.doctor import Check
from belvedere.cluster.celery import WorkQueue, broker_client
from belvedere.cluster.liveness import WorkerInfo, workers_seen
from belvedere.observability.broker import queue_depths, queue_of, without_password
from belvedere.results import open_results
from belvedere.results.filesystem import open_filesystem
from belvedere.settings import Settings

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


def broker_checks(broker_url: str | None) -> list[Check]:
    """The broker: reachable, its Redis version, messages waiting; then the workers alive."""
    if not broker_url:
        return [Check("ok", "broker", "none: queries run in the server processes")]
    shown = without_password(broker_url)
    client = broker_client(broker_url)
    try:
        version = client.info("server").get("redis_version", "unknown")
        depths = queue_depths(client)
        workers = workers_seen(client)
    except (redis.RedisError, OSError) as exc:
        return [Check("fail", "broker", f"{shown} unreachable: {exc}")]
    finally:
        client.close()
    waiting = ", ".join(f"{queue} {count}" for queue, count in depths.items())
    broker = Check("ok", "broker", f"{shown}: Redis {version}; messages waiting: {waiting}")
    return [broker, *worker_checks(workers, depths)]


def worker_checks(workers: list[WorkerInfo], depths: dict[str, int]) -> list[Check]:
    """Each worker alive, and a warning for a queue that no worker takes."""
    if not workers:
        return [
            Check(
                "warn",
                "workers",
                "none alive: queued runs wait until a `belvedere worker` starts",
            )
        ]
    now = time.time()
    checks = [
        Check(
            "ok",
            f"worker {worker.name}",
            f"pool {worker.pool}, concurrency {worker.concurrency}, queues "
            f"{', '.join(queue_of(q) for q in worker.queues) or 'none'}, "
            f"{worker.active} running, last beat {max(0.0, now - worker.beat):.1f} s ago",
        )
        for worker in workers
    ]
    taken = {queue_of(queue) for worker in workers for queue in worker.queues}
    for queue in WorkQueue:
        if queue.value not in taken:
            checks.append(
                Check(
                    "warn",
                    f"queue {queue.value}",
                    f"no worker takes it: its runs wait ({depths.get(queue.value, 0)} waiting)",
                )
            )
    return checks


def results_check(settings: Settings) -> Check:
    """The results store: where it is and how full; and that it works: a Redis answers PING,
    a filesystem takes a probe file (written, listed, deleted), the default folder is
    writable."""
    url = settings.results_url or None
    if url is None:
        folder = settings.results_dir
        if not folder.exists():
            return Check("ok", "results store", f"folder {folder} (created at first start)")
        if not os.access(folder, os.W_OK):
            return Check("fail", "results store", f"folder {folder} is not writable")
    try:
        if url is None:
            probe = "one host only"
        elif urlsplit(url).scheme in REDIS_SCHEMES:
            probe = _redis_probe(url)
        else:
            probe = _filesystem_probe(url)
        described = open_results(settings).describe()
    except Exception as exc:
        shown = without_password(url) if url else str(settings.results_dir)
        return Check("fail", "results store", f"{shown} unreachable: {exc}")
    return Check("ok", "results store", f"{described}; {probe}")


def _redis_probe(url: str) -> str:
    client = broker_client(url)
    try:
        client.ping()
        version = client.info("server").get("redis_version", "unknown")
    finally:
        client.close()
    return f"Redis {version} answers PING"


def _filesystem_probe(url: str) -> str:
    filesystem, root = open_filesystem(url)
    probe = f"{root}/.belvedere-doctor-{uuid.uuid4().hex}"
    filesystem.create_dir(root, recursive=True)
    with filesystem.open_output_stream(probe) as out:
        out.write(b"belvedere doctor probe")
    try:
        filesystem.get_file_info(pafs.FileSelector(root))
    finally:
        filesystem.delete_file(probe)
    return f"{filesystem.type_name.removeprefix('py::fsspec+')} filesystem, writable"
