"""The Celery side of a worker process: the task that runs a query, and the process's one
:class:`~belvedere.cluster.runtime.WorkerRuntime`, built where the pool runs tasks (in the
worker process for the threads pool, in each child for prefork)."""

from __future__ import annotations

import threading
from typing import Any

from celery import Celery, signals

from belvedere.cluster.celery import EXECUTE_TASK
from belvedere.cluster.runtime import WorkerRuntime
from belvedere.services import Services
from belvedere.settings import Settings


class RuntimeHolder:
    """Builds the runtime once, on first need, in the process that needs it."""

    def __init__(
        self, settings: Settings, *, pool: str, concurrency: int, queues: tuple[str, ...]
    ) -> None:
        self._settings = settings
        self._options: dict[str, Any] = {
            "pool": pool,
            "concurrency": concurrency,
            "queues": queues,
        }
        self._runtime: WorkerRuntime | None = None
        self._lock = threading.Lock()

    def get(self) -> WorkerRuntime:
        with self._lock:
            if self._runtime is None:
                runtime = WorkerRuntime(Services(self._settings), **self._options)
                runtime.start()
                self._runtime = runtime
            return self._runtime

    def close(self) -> None:
        with self._lock:
            runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()
            runtime.services.close()


def register(app: Celery, holder: RuntimeHolder, *, prefork: bool) -> None:
    """Register the task on ``app``; with ``prefork``, build each child's runtime as it starts."""

    @app.task(name=EXECUTE_TASK, ignore_result=True)  # type: ignore[untyped-decorator]
    def execute_run(message: dict[str, Any]) -> None:
        holder.get().execute(message)

    if prefork:
        signals.worker_process_init.connect(lambda **_: holder.get(), weak=False)
        signals.worker_process_shutdown.connect(lambda **_: holder.close(), weak=False)
