"""Query runs: the history of every query, and the arbiter of each run's state.

State changes are compare-and-set updates (``UPDATE ... WHERE status IN (...)``), so whoever
moves a run first (the worker finishing, the deadline, the user cancelling) wins, and the
others see that they lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Update, bindparam, func, insert, inspect, select, update

from belvedere.execution.runs import ACTIVE, RunStatus, Surface
from belvedere.store.db import Database
from belvedere.store.models import QueryRun, UTCDateTime, utcnow


class RunRecord(Protocol):
    """A run as the repository hands it out, read-only (see :class:`QueryRun` for each field)."""

    @property
    def id(self) -> str: ...

    @property
    def user_id(self) -> int | None: ...

    @property
    def actor(self) -> str: ...

    @property
    def connection_name(self) -> str: ...

    @property
    def surface(self) -> str: ...

    @property
    def sql(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def error_code(self) -> str | None: ...

    @property
    def error_message(self) -> str | None: ...

    @property
    def error_line(self) -> int | None: ...

    @property
    def error_column(self) -> int | None: ...

    @property
    def max_rows(self) -> int: ...

    @property
    def row_count(self) -> int | None: ...

    @property
    def truncated(self) -> bool: ...

    @property
    def result_bytes(self) -> int | None: ...

    @property
    def table_ref(self) -> str | None: ...

    @property
    def bytes_estimated(self) -> int | None: ...

    @property
    def bytes_processed(self) -> int | None: ...

    @property
    def bytes_billed(self) -> int | None: ...

    @property
    def job_id(self) -> str | None: ...

    @property
    def worker(self) -> str | None: ...

    @property
    def principal(self) -> str | None: ...

    @property
    def submitted_at(self) -> datetime: ...

    @property
    def started_at(self) -> datetime | None: ...

    @property
    def finished_at(self) -> datetime | None: ...

    @property
    def deadline_at(self) -> datetime: ...


log = logging.getLogger(__name__)

_TABLE = QueryRun.metadata.tables["query_runs"]
_COLUMNS = [c.key for c in inspect(QueryRun).column_attrs]
_NAMES = frozenset(_COLUMNS)


def snapshot(run: QueryRun, **changes: Any) -> QueryRun:
    """A detached copy of a run with some fields changed (no database involved)."""
    values = {name: getattr(run, name) for name in _COLUMNS}
    values.update(changes)
    return QueryRun(**values)


# Statements built once, their values given at execution: SQLAlchemy then compiles each once
# and skips building and hashing a statement per call (about 1 ms a run on a small machine).
_INSERT = insert(_TABLE)
_RUN_ID, _FROM = "run_id_", "from_statuses_"
_MOVE = update(_TABLE).where(
    _TABLE.c.id == bindparam(_RUN_ID), _TABLE.c.status.in_(bindparam(_FROM, expanding=True))
)
"""A compare-and-set state change; the SET clause is the other parameters given."""

_TIMES = frozenset(name for name in _COLUMNS if isinstance(_TABLE.c[name].type, UTCDateTime))


def run_to_json(run: RunRecord) -> dict[str, Any]:
    """A run as JSON values (for messages between processes)."""
    values = {name: getattr(run, name) for name in _COLUMNS}
    for name in _TIMES:
        if values[name] is not None:
            values[name] = values[name].isoformat()
    return values


def run_from_json(values: dict[str, Any]) -> QueryRun:
    """A detached run from :func:`run_to_json`'s values (raises ``KeyError``/``ValueError``)."""
    fields = {name: values[name] for name in _COLUMNS}
    for name in _TIMES:
        if fields[name] is not None:
            fields[name] = datetime.fromisoformat(fields[name])
    return QueryRun(**fields)


class Runs:
    """Repository of query runs."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.on_end: list[Callable[[RunRecord], None]] = []
        """Called with each run this process moves to a final state (metrics), once."""

    def add(self, run: QueryRun) -> QueryRun:
        """Record a new run."""
        values = {n: v for n in _COLUMNS if (v := getattr(run, n)) is not None}  # fewer binds
        with self._db.engine.begin() as connection:
            connection.execute(_INSERT, values)
        return run

    def get(self, run_id: str) -> QueryRun | None:
        """A run by id."""
        with self._db.session() as s:
            return s.get(QueryRun, run_id)

    def transition(
        self, run_id: str, source: Iterable[RunStatus], target: RunStatus, **fields: Any
    ) -> bool:
        """Move a run from one of ``source`` to ``target``; ``False`` if it was elsewhere."""
        if unknown := fields.keys() - _NAMES:  # given as parameters, they would be ignored
            raise ValueError(f"not columns of query_runs: {', '.join(sorted(unknown))}")
        values = {"status": target.value, **fields}
        values.update({_RUN_ID: run_id, _FROM: [st.value for st in source]})
        if target.is_terminal:
            return bool(self._end(_MOVE, values))
        with self._db.engine.begin() as connection:
            return bool(connection.execute(_MOVE, values).rowcount)

    def finish(
        self, run: QueryRun, source: Iterable[RunStatus], target: RunStatus, **fields: Any
    ) -> QueryRun | None:
        """End a run this process holds (``run`` as it knows it): like :meth:`transition` to
        the final ``target``, but :attr:`on_end` hears of it from the run as known plus
        ``fields``, not from a row read back; that run as it ended, or ``None`` if it was
        elsewhere."""
        if not target.is_terminal:
            raise ValueError(f"{target.value} is not a final state")
        if unknown := fields.keys() - _NAMES:
            raise ValueError(f"not columns of query_runs: {', '.join(sorted(unknown))}")
        values = {"status": target.value, **fields}
        moved = {_RUN_ID: run.id, _FROM: [st.value for st in source], **values}
        with self._db.engine.begin() as connection:
            if not connection.execute(_MOVE, moved).rowcount:
                return None
        ended = snapshot(run, **values)
        self._tell_end(ended)
        return ended

    def end(
        self, run_id: str, source: Iterable[RunStatus], target: RunStatus, code: str, message: str
    ) -> bool:
        """End a run that is in one of ``source`` for a reason (a cancel, a deadline, a lost
        worker): ``target`` with the error ``code`` and ``message``, finished now; ``False`` if
        it was elsewhere."""
        return self.transition(
            run_id, source, target, error_code=code, error_message=message, finished_at=utcnow()
        )

    def note_job(self, run_id: str, job_id: str) -> None:
        """Record the warehouse's id of a running run's job, so that another process can
        stop the job should this one die."""
        query = (
            update(_TABLE)
            .where(_TABLE.c.id == run_id, _TABLE.c.status == RunStatus.RUNNING.value)
            .values(job_id=job_id)
        )
        with self._db.engine.begin() as connection:
            connection.execute(query)

    def note_cost(self, run_id: str, processed: int | None, billed: int) -> None:
        """Record what a run's job processed and billed after someone else ended the run (a
        cancel, the deadline): spend counts what was billed, whoever ended it."""
        query = (
            update(_TABLE)
            .where(_TABLE.c.id == run_id, _TABLE.c.bytes_billed.is_(None))
            .values(bytes_processed=processed, bytes_billed=billed)
        )
        with self._db.engine.begin() as connection:
            connection.execute(query)

    def _end(self, query: Update, values: dict[str, Any] | None = None) -> int:
        """Run an update that ends runs (with ``values``, if given: its parameters), and tell
        :attr:`on_end` of each; how many."""
        if not self.on_end:
            with self._db.engine.begin() as connection:
                return int(connection.execute(query, values).rowcount)
        with self._db.engine.begin() as connection:
            rows = connection.execute(query.returning(_TABLE), values).all()
        for row in rows:
            self._tell_end(QueryRun(**row._mapping))
        return len(rows)

    def _tell_end(self, run: QueryRun) -> None:
        for hook in self.on_end:
            try:
                hook(run)
            except Exception:
                log.exception("a hook on the end of run %s failed", run.id)

    def ended_among(self, run_ids: list[str]) -> list[QueryRun]:
        """Those of the runs that have ended (e.g. cancelled by another process)."""
        active = [status.value for status in ACTIVE]
        query = select(QueryRun).where(QueryRun.id.in_(run_ids), QueryRun.status.not_in(active))
        with self._db.session() as s:
            return list(s.scalars(query))

    def running_on_workers(self) -> list[tuple[str, str, datetime | None]]:
        """``(run id, worker, started at)`` of every run running on a Celery worker."""
        query = select(_TABLE.c.id, _TABLE.c.worker, _TABLE.c.started_at).where(
            _TABLE.c.status == RunStatus.RUNNING.value, _TABLE.c.worker.is_not(None)
        )
        with self._db.engine.connect() as connection:
            return [(row.id, row.worker, row.started_at) for row in connection.execute(query)]

    def cached(self, cache_key: str, since: datetime) -> QueryRun | None:
        """The newest run with this cache key that succeeded after ``since``."""
        query = (
            select(QueryRun)
            .where(
                QueryRun.cache_key == cache_key,
                QueryRun.status == RunStatus.SUCCEEDED.value,
                QueryRun.finished_at >= since,
            )
            .order_by(QueryRun.finished_at.desc())
            .limit(1)
        )
        with self._db.session() as s:
            return s.scalars(query).first()

    def uncache(self, *, user_id: int | None = None, connection: str | None = None) -> int:
        """Make the runs of a user, of a connection, or of both, reusable by no one again
        (their identity lost its access, or the connection changed); how many there were."""
        query = update(_TABLE).where(_TABLE.c.cache_key.is_not(None))
        if user_id is not None:
            query = query.where(_TABLE.c.user_id == user_id)
        if connection is not None:
            query = query.where(_TABLE.c.connection_name == connection)
        with self._db.engine.begin() as db:
            return int(db.execute(query.values(cache_key=None)).rowcount)

    def end_active_of(self, user_id: int, target: RunStatus, **fields: Any) -> int:
        """End every queued or running run of a user (their account was deactivated); the
        processes running them notice and stop the warehouse query. How many there were."""
        active = [status.value for status in ACTIVE]
        query = (
            update(_TABLE)
            .where(_TABLE.c.user_id == user_id, _TABLE.c.status.in_(active))
            .values(status=target.value, **fields)
        )
        return self._end(query)

    def active_counts(self) -> dict[str, int]:
        """How many runs are queued and running now, across the installation, by status."""
        active = [status.value for status in ACTIVE]
        query = (
            select(_TABLE.c.status, func.count())
            .where(_TABLE.c.status.in_(active))
            .group_by(_TABLE.c.status)
        )
        with self._db.engine.connect() as db:
            found = {str(status): int(count) for status, count in db.execute(query)}
        return {status: found.get(status, 0) for status in active}

    def history(
        self,
        *,
        user_id: int | None,
        limit: int = 50,
        before: datetime | None = None,
        connection: str | None = None,
    ) -> list[QueryRun]:
        """A user's runs, newest first (not the chart builder's column probes); ``before``
        pages backwards."""
        query = select(QueryRun).where(
            QueryRun.user_id == user_id, QueryRun.surface != Surface.PROBE.value
        )
        if before is not None:
            query = query.where(QueryRun.submitted_at < before)
        if connection is not None:
            query = query.where(QueryRun.connection_name == connection)
        query = query.order_by(QueryRun.submitted_at.desc()).limit(limit)
        with self._db.session() as s:
            return list(s.scalars(query))

    def expire_overdue(self, cutoff: datetime, message: str) -> int:
        """Fail active runs whose deadline is before ``cutoff`` (passed, with nobody left to
        end them).

        A run's own supervisor ends it at its deadline; one still active well past it belongs
        to a process that stopped (a restart, a crash).
        """
        query = (
            update(_TABLE)
            .where(
                _TABLE.c.status.in_([RunStatus.QUEUED.value, RunStatus.RUNNING.value]),
                _TABLE.c.deadline_at < cutoff,
            )
            .values(
                status=RunStatus.FAILED.value,
                error_code="interrupted",
                error_message=message,
                finished_at=utcnow(),
            )
        )
        return self._end(query)
