"""Result reuse: a run's cache key, and the lookup of a fresh stored result under it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from belvedere.execution.requests import QueryRequest
from belvedere.identity.principal import Principal
from belvedere.results import ResultsStore
from belvedere.store.models import QueryRun
from belvedere.store.runs import Runs


def cache_key(request: QueryRequest, principal: Principal, sql: str, max_rows: int) -> str:
    """Same connection, identity, statement, parameters and row cap: same answer."""
    params = request.params
    if params is not None and not isinstance(params, dict):
        params = list(params)
    table = request.table.stored() if request.table else None
    parts = [request.connection, principal.key, sql, params, max_rows, table]
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ResultCache:
    """Finds a run that answers a cache key and whose result is still stored."""

    def __init__(self, runs: Runs, results: ResultsStore) -> None:
        self._runs = runs
        self._results = results

    def find(self, key: str, since: datetime) -> QueryRun | None:
        """The newest run under ``key`` that succeeded after ``since`` with its result still
        stored (blocking)."""
        run = self._runs.cached(key, since)
        return run if run is not None and self._results.exists(run.id) else None
