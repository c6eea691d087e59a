"""Task messages carry the run and the request whole, sealed: a message written into Redis by
anyone without the installation's key is refused, and Redis never sees the SQL or who ran it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from belvedere.cluster.dispatch import task_box
from belvedere.cluster.messages import ForgedMessage, seal, unseal
from belvedere.execution.requests import QueryRequest, TableRef
from belvedere.execution.runs import Actor, Surface
from belvedere.store.models import QueryRun, utcnow

KEY = b"k" * 48


def _run_and_request() -> tuple[QueryRun, QueryRequest]:
    now = utcnow()
    actor = Actor(7, "alice", "editor", "alice@example.com", ("analysts",))
    request = QueryRequest(
        connection="warehouse",
        sql="SELECT secret_column FROM t WHERE d = @day",
        actor=actor,
        surface=Surface.CHART,
        params={"day": "2026-01-02"},
        max_rows=50,
        table=None,
        cache_ttl_seconds=60,
    )
    run = QueryRun(
        id="a" * 32,
        user_id=7,
        actor="alice",
        connection_name="warehouse",
        surface="chart",
        sql=request.sql,
        status="queued",
        max_rows=50,
        truncated=False,
        submitted_at=now,
        deadline_at=now + timedelta(seconds=30),
        principal="user:7",
    )
    return run, request


def test_a_message_round_trips_whole() -> None:
    run, request = _run_and_request()
    opened_run, opened_request = unseal(seal(run, request, task_box(KEY)), task_box(KEY))
    assert opened_request == request
    assert (opened_run.id, opened_run.sql, opened_run.deadline_at) == (
        run.id,
        run.sql,
        run.deadline_at,
    )
    table = QueryRequest("w", "", request.actor, Surface.SQLLAB, table=TableRef("s", "t"))
    assert unseal(seal(run, table, task_box(KEY)), task_box(KEY))[1].table == TableRef("s", "t")


def test_redis_sees_nothing_readable_and_cannot_forge() -> None:
    run, request = _run_and_request()
    sealed = seal(run, request, task_box(KEY))
    text = str(sealed)
    assert "secret_column" not in text and "alice" not in text
    with pytest.raises(ForgedMessage):
        unseal(sealed, task_box(b"another installation's key" * 2))
    with pytest.raises(ForgedMessage):
        unseal({"sealed": "not a token"}, task_box(KEY))
