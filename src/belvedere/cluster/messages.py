"""The task message of a run: the run as recorded ``queued`` (so the worker need not read it
back: its compare-and-set start tells whether it is still queued), who asked, and the
request's parameters; sealed with a key derived from the installation's secret key. Redis is
trusted to deliver, not to say who runs what: a message written into it by anyone else is
refused, and what it carries (SQL, parameters, names) is not readable there."""

from __future__ import annotations

from typing import Any

from belvedere.execution.requests import QueryRequest, TableRef
from belvedere.execution.runs import Actor, Surface
from belvedere.security.secretbox import SecretBox, SecretBoxError
from belvedere.store.models import QueryRun
from belvedere.store.runs import run_from_json, run_to_json


class ForgedMessage(ValueError):
    """A task message not sealed with this installation's key."""


def seal(run: QueryRun, request: QueryRequest, box: SecretBox) -> dict[str, str]:
    """The message that starts ``run`` on a worker."""
    return {"sealed": box.seal(encode(run, request)).decode()}


def unseal(message: dict[str, Any], box: SecretBox) -> tuple[QueryRun, QueryRequest]:
    """The run and request of a sealed message (raises :class:`ForgedMessage`, or
    ``KeyError``/``ValueError``/``TypeError`` if malformed)."""
    try:
        opened = box.open(str(message["sealed"]).encode())
    except SecretBoxError as exc:
        raise ForgedMessage("a task message not sealed with this installation's key") from exc
    return decode(opened)


def encode(run: QueryRun, request: QueryRequest) -> dict[str, Any]:
    """The contents of the message that starts ``run``."""
    actor = request.actor
    params = request.params
    if params is not None and not isinstance(params, dict):
        params = list(params)
    return {
        "run": run.id,
        "record": run_to_json(run),
        "connection": request.connection,
        "sql": request.sql,
        "actor": {
            "user_id": actor.user_id,
            "name": actor.name,
            "role": actor.role,
            "email": actor.email,
            "groups": list(actor.groups),
        },
        "surface": request.surface.value,
        "params": params,
        "timeout_seconds": request.timeout_seconds,
        "max_rows": request.max_rows,
        "export": request.export,
        "table": [request.table.schema, request.table.name] if request.table else None,
        "cache_ttl_seconds": request.cache_ttl_seconds,
        "force": request.force,
    }


def decode(message: dict[str, Any]) -> tuple[QueryRun, QueryRequest]:
    """The run (as queued) and the request of a message's contents (raises
    ``KeyError``/``ValueError`` if malformed)."""
    actor = message["actor"]
    table = message.get("table")
    request = QueryRequest(
        connection=str(message["connection"]),
        sql=str(message["sql"]),
        actor=Actor(
            user_id=actor.get("user_id"),
            name=str(actor["name"]),
            role=str(actor["role"]),
            email=actor.get("email"),
            groups=tuple(actor.get("groups") or ()),
        ),
        surface=Surface(message["surface"]),
        params=message.get("params"),
        timeout_seconds=message.get("timeout_seconds"),
        max_rows=message.get("max_rows"),
        export=bool(message.get("export")),
        table=TableRef(str(table[0]), str(table[1])) if table else None,
        cache_ttl_seconds=message.get("cache_ttl_seconds"),
        force=bool(message.get("force")),
    )
    return run_from_json(message["record"]), request
