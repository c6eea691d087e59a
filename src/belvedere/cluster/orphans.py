"""The warehouse job of a run whose worker died: stopped from another process, where the
warehouse can name the job from the run (BigQuery's job id is ``belvedere_<run id>``), so a
killed worker does not leave a job scanning and billing with no one to read it."""

from __future__ import annotations

import logging

from belvedere.connections.service import ConnectionService
from belvedere.execution.runs import Actor
from belvedere.store.runs import Runs
from belvedere.store.users import Users
from belvedere.warehouses.base import Cancellable, QueryContext

log = logging.getLogger(__name__)

#: How long the cancel call may take.
CANCEL_SECONDS = 10.0


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
            context = QueryContext(
                run_id=run.id, user=run.actor, surface=run.surface, timeout_seconds=CANCEL_SECONDS
            )
            query = warehouse.query(run.sql, None, context)  # no I/O until run()
            try:
                if isinstance(query, Cancellable):
                    query.cancel()  # by the job's name; a no-op where jobs have none
            finally:
                query.close()
        except Exception as exc:
            log.warning("could not stop the warehouse job of lost run %s: %s", run_id, exc)
