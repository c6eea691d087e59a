"""The warehouse job of a run whose worker died: stopped from another process, so a killed
worker does not leave a job scanning and billing with no one to read it. BigQuery's job is
found by the id the worker recorded on the run as soon as BigQuery named it, else by the
run's label."""

from __future__ import annotations

import logging

from belvedere.connections.service import ConnectionService
from belvedere.execution.runs import Actor
from belvedere.store.runs import Runs
from belvedere.store.users import Users
from belvedere.warehouses.base import StopsLostJobs

log = logging.getLogger(__name__)


class OrphanStopper:
    """Stops the warehouse job of a lost run, as the identity that started it (blocking)."""

    def __init__(self, runs: Runs, users: Users, connections: ConnectionService) -> None:
        self._runs = runs
        self._users = users
        self._connections = connections

    def __call__(self, run_id: str) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        user = self._users.get(run.user_id) if run.user_id is not None else None
        actor = Actor.of(user) if user is not None else Actor(None, run.actor, "admin")
        try:
            handle = self._connections.resolve(run.connection_name, actor)
            warehouse = self._connections.backend(handle)
            if isinstance(warehouse, StopsLostJobs):  # elsewhere a query dies with its session
                warehouse.stop_lost_job(run.id, run.job_id, run.started_at or run.submitted_at)
        except Exception as exc:
            log.warning("could not stop the warehouse job of lost run %s: %s", run_id, exc)
