"""A worker process's side of runs: take a run's message, run it with the same worker as the
server's in-process path, keep its deadline, stop it when the bus says so, say it is alive."""

from __future__ import annotations

import logging
import threading
from typing import Any

from belvedere.cluster.bus import Message, Topic
from belvedere.cluster.deadlines import Deadlines
from belvedere.cluster.dispatch import task_box
from belvedere.cluster.liveness import Heartbeat, worker_name
from belvedere.cluster.messages import ForgedMessage, unseal
from belvedere.cluster.orphans import OrphanStopper
from belvedere.cluster.reaper import SWEEP_SECONDS, Reaper
from belvedere.connections.service import ConnectionNotFound
from belvedere.execution.control import RunControl
from belvedere.execution.runs import ACTIVE, RunStatus, timed_out_message
from belvedere.identity.service import AuthorizationRequired, IdentityError
from belvedere.services import Services
from belvedere.store.models import QueryRun, utcnow
from belvedere.store.runs import run_to_json
from belvedere.warehouses.errors import ErrorKind

log = logging.getLogger(__name__)

#: How often active runs are checked against the store, in case a stop message was lost.
STORE_CHECK_SECONDS = 0.5


class WorkerRuntime:
    """Everything one worker process holds: services, its active runs, its heartbeat."""

    def __init__(
        self, services: Services, *, pool: str, concurrency: int, queues: tuple[str, ...]
    ) -> None:
        if services.broker is None:
            raise ValueError("a worker needs BELVEDERE_BROKER_URL")
        self.name = worker_name()
        self.services = services
        self._box = task_box(services.secret_key)
        self._runs = services.runs
        self._worker = services.worker(name=self.name, queue=queues[0])
        self._active: dict[str, RunControl] = {}
        self._lock = threading.Lock()
        self.heartbeat = Heartbeat(
            services.broker,
            self.name,
            pool=pool,
            concurrency=concurrency,
            queues=queues,
            active=lambda: len(self._active),
        )
        self._reaper = Reaper(
            services.runs,
            services.broker,
            services.bus,
            OrphanStopper(services.runs, services.users, services.connections),
        )
        self._stopped = threading.Event()
        self._deadlines = Deadlines(self._deadline)
        self._chores = threading.Thread(
            target=self._chore_loop, name="belvedere-chores", daemon=True
        )
        services.bus.subscribe(Topic.RUN_STOP, self._stop_message)

    def start(self) -> None:
        """Say this worker is alive, and start its chores."""
        self.heartbeat.start()
        self._deadlines.start()
        self._chores.start()

    @property
    def active(self) -> int:
        return len(self._active)

    # -- one run -----------------------------------------------------------------------
    def execute(self, message: dict[str, Any]) -> None:
        """Run the run a task message carries, unless its deadline passed while it waited in
        the queue; a run that has ended, or that another worker took (a message delivered
        twice), is left alone by the worker's compare-and-set start."""
        try:
            run, request = unseal(message, self._box)
        except ForgedMessage:
            log.error("refused a task message not sealed with this installation's key")
            return
        except (KeyError, ValueError, TypeError):
            log.error("ignored a malformed task message")
            return
        left = (run.deadline_at - utcnow()).total_seconds()
        if left <= 0:
            self._end_queued(run, RunStatus.TIMED_OUT, "timeout", timed_out_message(_total(run)))
            return
        try:
            handle = self.services.connections.resolve(run.connection_name, request.actor)
        except AuthorizationRequired as exc:
            self._end_queued(run, RunStatus.FAILED, ErrorKind.AUTHORIZATION.value, str(exc))
            return
        except ConnectionNotFound as exc:
            self._end_queued(run, RunStatus.FAILED, "connection_not_found", str(exc))
            return
        except (IdentityError, ValueError) as exc:
            self._end_queued(run, RunStatus.FAILED, "identity_unavailable", str(exc))
            return
        control = RunControl(run, handle.principal)
        with self._lock:
            self._active[run.id] = control
        self._deadlines.add(run.deadline_at.timestamp(), run.id)
        try:
            self._worker.execute(run, request, handle, control)
        finally:
            self._deadlines.discard(run.id)
            with self._lock:
                self._active.pop(run.id, None)
            if control.final is not None:  # ended here (else whoever ended it said so)
                record = self._box.seal(run_to_json(control.final)).decode()
                self.services.bus.publish(Topic.RUN_ENDED, {"run": run.id, "sealed": record})

    def _end_queued(self, run: QueryRun, status: RunStatus, code: str, message: str) -> None:
        if self._runs.end(run.id, [RunStatus.QUEUED], status, code, message):
            self.services.bus.publish(Topic.RUN_ENDED, {"run": run.id})

    def _deadline(self, run_id: str) -> None:
        """A run's deadline passed here (its web server may be gone): end it, stop it."""
        with self._lock:
            control = self._active.get(run_id)
        if control is None:
            return
        run = control.run
        try:
            ended = self._runs.end(
                run.id, ACTIVE, RunStatus.TIMED_OUT, "timeout", timed_out_message(_total(run))
            )
            if ended:
                self.services.bus.publish(Topic.RUN_ENDED, {"run": run.id})
        finally:  # the store away: the query still stops at its deadline
            control.request_stop()
            self.services.pools.cancel.submit(self._stop, control)

    def _stop(self, control: RunControl) -> None:
        """Stop a run's query (blocking: cancels in the warehouse until the worker lets go)."""
        control.request_stop()
        control.stop()

    def _stop_message(self, message: Message) -> None:
        """The bus says a run was ended elsewhere (a cancel, a deadline): stop it if it is here."""
        with self._lock:
            control = self._active.get(str(message.get("run")))
        if control is not None and not control.stop_requested:
            control.request_stop()
            self.services.pools.cancel.submit(self._stop, control)

    # -- chores --------------------------------------------------------------------------
    def _chore_loop(self) -> None:
        sweep_every = max(1, round(SWEEP_SECONDS / STORE_CHECK_SECONDS))
        tick = 0
        while not self._stopped.wait(STORE_CHECK_SECONDS):
            tick += 1
            try:
                self._stop_ended_elsewhere()
                if tick % sweep_every == 0:
                    self._reaper.sweep()
            except Exception:
                log.exception("a worker chore failed; it will be tried again")

    def _stop_ended_elsewhere(self) -> None:
        """Stop active runs the store says have ended (a stop message lost with Redis)."""
        with self._lock:
            ids = [run_id for run_id, c in self._active.items() if not c.stop_requested]
        if not ids:
            return
        for run in self._runs.ended_among(ids):
            self._stop_message({"run": run.id})

    def close(self) -> None:
        """Stop the chores and the heartbeat (a worker shutting down cleanly)."""
        self._stopped.set()
        self._deadlines.stop()
        self._chores.join(timeout=3.0)
        self.heartbeat.stop()


def _total(run: QueryRun) -> float:
    """A run's whole deadline, in seconds."""
    return (run.deadline_at - run.submitted_at).total_seconds()
