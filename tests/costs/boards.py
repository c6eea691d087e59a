"""Dashboards whose charts run on the BigQuery emulator, as the tests of what a dashboard costs
set them up through the API: in-process (``tests/bigquery/test_dashboard_costs.py``, a
:class:`~tests.support.web.client.Client`) and in the browser (``tests/e2e/test_dashboard_costs.py``,
Playwright's ``APIRequestContext``). Each side hands over a :data:`Send` of its client."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # neither is imported where the other runs
    from playwright.sync_api import APIRequestContext

    from tests.support.bigquery.emulator import Emulator
    from tests.support.web.client import Client

#: A bar chart of the seeded ``shop.events`` table: the sum of ``value`` per ``kind``.
EVENTS_SPEC: dict[str, Any] = {
    "type": "bar",
    "source": {"kind": "table", "schema": "shop", "table": "events"},
    "dimensions": ["kind"],
    "metrics": [{"agg": "sum", "column": "value"}],
}
#: A bar chart of the demo's ``main.sales`` (DuckDB: not billed by bytes): rows per channel.
DEMO_SPEC: dict[str, Any] = {
    "type": "bar",
    "source": {"kind": "table", "schema": "main", "table": "sales"},
    "dimensions": ["channel"],
    "metrics": [{"agg": "count"}],
}

Send = Callable[[str, str, dict[str, Any]], Any]
"""``send(method, path, body)``: the JSON answer of an API call; the test fails unless it
succeeded."""


def client_send(client: Client) -> Send:
    """:data:`Send` of an in-process client."""

    def send(method: str, path: str, body: dict[str, Any]) -> Any:
        answer = client.request(method, path, json=body)
        assert answer.is_success, answer.text
        return answer.json()

    return send


def api_send(api: APIRequestContext) -> Send:
    """:data:`Send` of Playwright's API client (a chart's columns are read from the emulator
    when it is saved: a minute at most)."""

    def send(method: str, path: str, body: dict[str, Any]) -> Any:
        answer = api.fetch(path, method=method, data=body, timeout=60_000)
        assert answer.ok, answer.text()
        return answer.json()

    return send


def emulator_options(emulator: Emulator, api_endpoint: str) -> dict[str, Any]:
    """Options of a BigQuery connection to the emulator whose REST calls go to
    ``api_endpoint`` (a recording proxy in front of it)."""
    return {
        "project": emulator.project,
        "auth": "none",
        "api_endpoint": api_endpoint,
        "storage_api_endpoint": emulator.grpc_target,
        "storage_api_insecure": True,
    }


def make_chart(send: Send, name: str, *, limit: int, connection: str, **extra: Any) -> int:
    """A saved chart of :data:`EVENTS_SPEC` (:data:`DEMO_SPEC` on ``demo``) of at most
    ``limit`` rows (the limit tells the charts' statements apart); its id."""
    spec = {**(DEMO_SPEC if connection == "demo" else EVENTS_SPEC), "limit": limit}
    body = {"name": name, "connection": connection, "spec": spec, **extra}
    return int(send("POST", "/api/v1/charts", body)["id"])


def make_dashboard(
    send: Send, chart_ids: Sequence[int], title: str = "Costs", **changes: Any
) -> int:
    """A dashboard of a tile per chart, two a row, in order, and ``changes`` (e.g.
    ``refresh_seconds``); its id."""
    board = send("POST", "/api/v1/dashboards", {"title": title})
    body = {"layout": {"tiles": tiles(chart_ids)}, **changes}
    send("PATCH", f"/api/v1/dashboards/{board['id']}", body)
    return int(board["id"])


def tiles(chart_ids: Sequence[int]) -> list[dict[str, Any]]:
    """A dashboard layout's tiles: one per chart, in order, two a row."""
    return [
        {
            "id": f"t{n}",
            "kind": "chart",
            "chart_id": chart_id,
            "x": 6 * (n % 2),
            "y": 4 * (n // 2),
            "w": 6,
            "h": 4,
        }
        for n, chart_id in enumerate(chart_ids)
    ]
