"""``belvedere worker``: a Celery worker that runs queries from the queue (with a broker)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType

import click

from belvedere.cluster.celery import WorkQueue, create_celery
from belvedere.cluster.tasks import RuntimeHolder, register
from belvedere.environment import configure_logging
from belvedere.native_memory import limit_malloc_arenas
from belvedere.observability import serve_worker_metrics
from belvedere.runtime import MONKEY_PATCH_MESSAGE, refuse_monkey_patching
from belvedere.settings import Settings

#: Pools that monkey-patch the standard library: refused (gRPC deadlocks under them).
PATCHING_POOLS = ("gevent", "eventlet")
POOLS = ("threads", "prefork", *PATCHING_POOLS)
#: How often the parent of one process per queue looks whether a child ended.
CHILD_POLL_SECONDS = 0.5


def _queues(text: str) -> list[WorkQueue]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = {queue.value for queue in WorkQueue}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise click.BadParameter(
            f"unknown queue {', '.join(unknown) or '(none)'}; choose from "
            + ", ".join(sorted(known)),
            param_hint="--queues",
        )
    return [WorkQueue(name) for name in dict.fromkeys(names)]


def default_concurrency(settings: Settings, queue: WorkQueue, pool: str) -> int:
    """Embedded engines use this machine's CPUs; remote warehouses mostly wait."""
    cpus = os.cpu_count() or 2
    if queue is WorkQueue.EMBEDDED:
        return settings.embedded_query_threads or cpus
    return settings.query_threads if pool == "threads" else cpus * 4


@click.command()
@click.option(
    "--queues",
    default="embedded,remote",
    show_default=True,
    help="Queues to take runs from: `embedded` (DuckDB) and/or `remote` (BigQuery, "
    "PostgreSQL). With both, one process per queue, so neither kind waits for the other.",
)
@click.option(
    "--pool",
    type=click.Choice(POOLS),
    default="threads",
    show_default=True,
    help="Celery pool: threads or prefork (gevent and eventlet are refused).",
)
@click.option("--concurrency", type=int, help="Runs at once per queue (default: by queue).")
@click.option("--metrics-port", type=int, help="Serve Prometheus metrics on this port.")
def worker(queues: str, pool: str, concurrency: int | None, metrics_port: int | None) -> None:
    """Run queries from the queue (needs BELVEDERE_BROKER_URL)."""
    refuse_monkey_patching()
    limit_malloc_arenas()
    if pool in PATCHING_POOLS:
        raise SystemExit(
            MONKEY_PATCH_MESSAGE.format(lib=pool) + " For workers: `--pool threads` or `prefork`."
        )
    if metrics_port and pool != "threads":
        raise click.UsageError(
            "--metrics-port needs --pool threads: prefork children count runs in processes "
            "the metrics port does not serve."
        )
    chosen = _queues(queues)
    settings = Settings()
    configure_logging(settings)
    if not settings.broker_url:
        raise click.UsageError(
            "BELVEDERE_BROKER_URL is not set: a worker takes runs from the broker "
            "(e.g. redis://localhost:6379/0) that the web servers send them to."
        )
    if len(chosen) > 1:
        sys.exit(_one_process_per_queue(chosen, pool, concurrency, metrics_port))
    _run(settings, chosen[0], pool, concurrency, metrics_port)


def _run(
    settings: Settings,
    queue: WorkQueue,
    pool: str,
    concurrency: int | None,
    metrics_port: int | None,
) -> None:
    assert settings.broker_url
    size = concurrency or default_concurrency(settings, queue, pool)
    app = create_celery(settings.broker_url)
    holder = RuntimeHolder(settings, pool=pool, concurrency=size, queues=(queue.value,))
    register(app, holder, prefork=pool == "prefork")
    if pool == "threads":
        runtime = holder.get()  # alive (heartbeat) before the first run arrives
        if metrics_port:
            serve_worker_metrics(runtime.services.metrics.registry, metrics_port)
    click.echo(f"Belvedere worker: queue {queue.value}, {pool} pool of {size}.")
    celery_worker = app.Worker(
        hostname=f"{queue.value}-{os.getpid()}@{socket.gethostname()}",
        queues=[queue.routing_name],
        pool=pool,
        concurrency=size,
        without_mingle=True,
        without_gossip=True,
        without_heartbeat=True,
        loglevel=settings.log_level.upper(),
    )
    try:
        celery_worker.start()
    finally:
        holder.close()
    sys.exit(celery_worker.exitcode or 0)


def _one_process_per_queue(
    queues: list[WorkQueue], pool: str, concurrency: int | None, metrics_port: int | None
) -> int:
    """Start a worker process per queue and pass on signals; when one ends, stop the others
    and end with its status, so that an orchestrator restarts the whole worker rather than
    leave a queue without one."""
    children = []
    for i, queue in enumerate(queues):
        args = [sys.executable, "-m", "belvedere", "worker", "--queues", queue.value]
        args += ["--pool", pool]
        if concurrency:
            args += ["--concurrency", str(concurrency)]
        if metrics_port:
            args += ["--metrics-port", str(metrics_port + i)]
        children.append(subprocess.Popen(args))  # noqa: S603 - our own command

    def forward(signum: int, frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    while (code := next((c.poll() for c in children if c.poll() is not None), None)) is None:
        time.sleep(CHILD_POLL_SECONDS)
    forward(signal.SIGTERM, None)  # the first to end ends the others (warm shutdown)
    for child in children:
        child.wait()
    return code
