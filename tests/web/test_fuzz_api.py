"""Schema-driven fuzzing: schemathesis generates requests for every operation of the OpenAPI
document, valid and invalid, sent in-process as an admin, an editor and a viewer. No answer may
be a server error (5xx), and every operation is fuzzed but those :data:`EXCLUDED` names.

Bounded to run in about a minute: a few examples per operation and generation mode, derandomized
(the same requests every run), no shrinking (a failure prints the request to replay it). An
admin who sets their own password through `PATCH /users/{id}` ends their own sessions: the
fuzzer signs in again, and only that operation may sign it out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.schemas import APIOperation

from belvedere.auth.roles import Role
from belvedere.services import Services
from tests.support.web.client import Client

EXAMPLES = 8
"""Examples per operation, generation mode and role (54 operations, 2 modes, 3 roles: about
2,500 requests, 15-25 s a role on two cores)."""
EXCLUDED = {
    # ends the session the fuzzing runs in (tested in test_api_auth.py)
    "POST /api/v1/auth/logout": "ends the fuzzing session",
}
#: Headers of the generated request the in-process client sets on its own.
TRANSPORT_HEADERS = {"connection", "accept-encoding", "content-length"}


@pytest.fixture
def world(
    services: Services,
    demo_path: Path,
    app_client: Callable[[], Client],
    make_user: Callable[[str, Role], str],
) -> None:
    """Objects for the fuzzer to find. Hypothesis tries the smallest values first: id 1 of each
    kind exists (owned by the editor, the dashboard shared with the viewer), and so does a
    connection named "0" (the demo warehouse again), so runs and charts reach a warehouse."""
    services.connections.add("0", "duckdb", {"path": str(demo_path), "read_only": True})
    make_user("eddie", Role.EDITOR)
    make_user("vic", Role.VIEWER)
    editor = app_client().login("eddie")
    spec = {"type": "bar", "source": {"kind": "table", "schema": "main", "table": "sales"}}
    spec |= {"dimensions": ["channel"], "metrics": [{"agg": "count"}]}
    chart = editor.post("/api/v1/charts", json={"name": "c", "connection": "demo", "spec": spec})
    board = editor.post("/api/v1/dashboards", json={"title": "b"}).json()["id"]
    tile = {"id": "t", "kind": "chart", "chart_id": chart.json()["id"], "x": 0, "y": 0}
    layout = {"tiles": [{**tile, "w": 6, "h": 4}]}
    filters = [{"column": "channel", "kind": "values"}]
    shares = [{"role": "viewer", "access": "viewer"}]
    saved = {"connection": "demo", "name": "q", "sql": "SELECT 1"}
    answers = [
        editor.patch(f"/api/v1/dashboards/{board}", json={"layout": layout, "filters": filters}),
        editor.put(f"/api/v1/dashboards/{board}/shares", json={"shares": shares}),
        editor.post("/api/v1/saved-queries", json=saved),
    ]
    assert [chart.json()["id"], board, answers[-1].json()["id"]] == [1, 1, 1]
    assert all(a.is_success for a in answers), [a.text for a in answers]


def _request(client: Client, case: Case) -> Any:
    """Send a generated case through the signed-in test client (cookies and CSRF token)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    headers = {k: v for k, v in kwargs["headers"].items() if k.lower() not in TRANSPORT_HEADERS}
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body["content"] = data.encode() if isinstance(data, str) else data
    if kwargs.get("files"):
        body["files"] = kwargs["files"]
    return client.request(
        kwargs["method"], kwargs["url"], headers=headers, params=kwargs.get("params"), **body
    )


def _fuzz(client: Client, operation: APIOperation, mode: GenerationMode) -> list[str]:
    """Fuzz one operation; returns a line per server error."""
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        try:
            response = _request(client, case)
        except Exception as exc:  # the app raised past its error handlers
            failures.append(f"{case.as_curl_command()}\n  raised {exc!r}")
            return
        if response.status_code >= 500:
            failures.append(f"{case.as_curl_command()}\n  {response.status_code} {response.text}")

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, operation.label  # nothing there to make invalid
    return failures


def _order(operation: APIOperation) -> tuple[int, str]:
    """Reads first, then writes, deletes, and signing in last (failed sign-ins throttle)."""
    if operation.label.startswith("POST /api/v1/auth/"):
        return 5, operation.label
    order = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
    return order.get(operation.method.upper(), 1), operation.label


@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
def test_no_server_errors(app_client: Callable[[], Client], world: None, role: str) -> None:
    username = {"admin": "admin", "editor": "eddie", "viewer": "vic"}[role]
    client = app_client().login(username)
    schema = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json())
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    failures: list[str] = []
    fuzzed, signed_out_by = set(), set()
    started = time.monotonic()
    for operation in operations:
        if operation.label in EXCLUDED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz(client, operation, mode)
        fuzzed.add(operation.label)
        if client.get("/api/v1/auth/me").status_code == 401:
            signed_out_by.add(operation.label)
            client.login(username)
    print(f"{role}: {len(fuzzed)} operations in {time.monotonic() - started:.1f} s")
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:20])
    assert fuzzed | set(EXCLUDED) == {op.label for op in operations}
    # only an admin setting their own password ends their sessions
    assert signed_out_by <= {"PATCH /api/v1/users/{user_id}"}, signed_out_by
