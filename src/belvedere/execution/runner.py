"""Where runs run: in this process (:class:`~belvedere.execution.local.LocalRunner`), or on
Celery workers (:class:`~belvedere.cluster.dispatch.QueueRunner`). The execution service
records, caches, waits for and reads runs the same way for both."""

from __future__ import annotations

from typing import Protocol

from belvedere.connections.handle import ConnectionHandle
from belvedere.execution.control import RunControl
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import RunStatus
from belvedere.store.models import QueryRun


class QueueUnavailable(RuntimeError):
    """The task queue cannot take a run now (the broker is unreachable)."""


class Runner(Protocol):
    """Starts and stops runs recorded ``queued`` in the metadata store."""

    def control(self, run_id: str) -> RunControl | None:
        """The control of a run active in this process, if it is."""
        ...

    async def start(
        self, run: QueryRun, request: QueryRequest, handle: ConnectionHandle, timeout: float
    ) -> None:
        """Start ``run`` (raises :class:`QueueUnavailable`; the run is then ended ``failed``)."""
        ...

    async def end(self, run_id: str, status: RunStatus, code: str, message: str) -> bool:
        """End a run active in this process and stop it; ``False`` if it is not active here."""
        ...

    async def close(self, grace_seconds: float) -> None:
        """Stop what runs here."""
        ...
