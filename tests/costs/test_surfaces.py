"""Every surface obeys the same rules (the execution service is the one place): the API, a
chart, a dashboard tile, an export and the command line are refused alike before any job
starts; a chart answered from Belvedere's cache, or from BigQuery's, spends nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from belvedere.cli.main import cli
from belvedere.costs.model import Scope
from belvedere.services import Services
from belvedere.store.models import utcnow
from tests.costs.bq import GB, dry_runs_say, jobs_bill, queries_run, set_rule, user_id
from tests.support.faults import HttpProxy, RecordedRequest
from tests.support.web.client import Client, MakeClient

EVENTS = {"kind": "table", "schema": "shop", "table": "events"}
SPEC = {"type": "bar", "source": EVENTS, "dimensions": ["kind"], "metrics": [{"agg": "count"}]}
CAP_MESSAGE = (
    "This query would process 50.0 GB, more than the 10.0 GB allowed per query on bq (the cap "
    "of role {role}). No job was started. An admin can grant a one-off raise."
)


def chart_and_board(client: Client) -> tuple[int, int]:
    chart = client.post("/api/v1/charts", json={"name": "Kinds", "connection": "bq", "spec": SPEC})
    assert chart.status_code == 201, chart.text
    chart_id = chart.json()["id"]
    board = client.post("/api/v1/dashboards", json={"title": "Events"}).json()
    tile = {"id": "t", "kind": "chart", "chart_id": chart_id, "x": 0, "y": 0, "w": 6, "h": 4}
    client.patch(f"/api/v1/dashboards/{board['id']}", json={"layout": {"tiles": [tile]}})
    return chart_id, board["id"]


def saved_chart(client: Client, proxy: HttpProxy) -> tuple[int, int]:
    """A chart of ``client``'s on ``bq`` and a dashboard showing it; the query that read the
    source's columns is forgotten."""
    made = chart_and_board(client)
    proxy.clear()
    return made


def test_every_surface_is_refused_alike(
    cost_services: Services,
    cost_clients: MakeClient,
    bq_http_proxy: HttpProxy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ann = cost_clients().login("ann")
    chart_id, board_id = saved_chart(ann, bq_http_proxy)
    set_rule(cost_services, Scope.ROLE, "editor", cap=10 * GB)
    set_rule(cost_services, Scope.ROLE, "admin", cap=10 * GB)
    dry_runs_say(bq_http_proxy, 50 * GB)
    expected = CAP_MESSAGE.format(role="editor")
    answers: dict[str, Any] = {
        "api": ann.post(
            "/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 1"}
        ),
        "export": ann.post(
            "/api/v1/runs",
            json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 2", "export": True},
        ),
        "chart": ann.get(f"/api/v1/charts/{chart_id}/data", params={"force": True}),
        "tile": ann.post(
            f"/api/v1/dashboards/{board_id}/charts/{chart_id}/data", json={"force": True}
        ),
        "explore": ann.post(
            "/api/v1/charts/explore", json={"connection": "bq", "spec": {**SPEC, "limit": 7}}
        ),
    }
    for surface, response in answers.items():
        assert response.status_code == 400, (surface, response.text)
        error = response.json()["error"]
        assert (error["code"], error["message"]) == ("byte_cap_exceeded", expected), surface

    monkeypatch.setenv("BELVEDERE_DATA_DIR", str(cost_services.settings.data_dir))
    monkeypatch.setenv("BELVEDERE_LOG_LEVEL", "warning")
    result = CliRunner().invoke(cli, ["query", "-c", "bq", "SELECT 3"])
    assert result.exit_code == 1
    assert CAP_MESSAGE.format(role="admin") in result.stderr  # the operator acts as an admin
    assert [r.sql for r in queries_run(bq_http_proxy)] == []  # only dry runs reached BigQuery
    surfaces = {
        r.surface
        for r in cost_services.runs.history(
            user_id=user_id(cost_services, "ann"), limit=20, before=None, connection=None
        )
    }
    assert surfaces == {"api", "chart", "dashboard"}


def test_a_cached_chart_spends_nothing_more(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    ann = cost_clients().login("ann")
    chart_id, _ = saved_chart(ann, bq_http_proxy)
    set_rule(cost_services, Scope.USER, str(user_id(cost_services, "ann")), daily=100 * GB)
    dry_runs_say(bq_http_proxy, 3 * GB)
    jobs_bill(bq_http_proxy, 3 * GB)
    first = ann.get(f"/api/v1/charts/{chart_id}/data").json()
    again = ann.get(f"/api/v1/charts/{chart_id}/data").json()
    assert (first["cached"], again["cached"]) == (False, True)
    assert len(queries_run(bq_http_proxy)) == 1  # one job
    runs = cost_services.runs.history(
        user_id=user_id(cost_services, "ann"), limit=20, before=None, connection="bq"
    )
    drawn = [(r.surface, r.bytes_billed) for r in runs if r.chart_id == chart_id]
    assert drawn == [("chart", 3 * GB)]  # one run
    since = utcnow() - timedelta(days=1)
    assert cost_services.cost_store.spent("bq", [user_id(cost_services, "ann")], since) == 3 * GB


def test_bigquerys_own_cache_bills_nothing(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    set_rule(cost_services, Scope.USER, str(user_id(cost_services, "ann")), daily=100 * GB)
    dry_runs_say(bq_http_proxy, 3 * GB)

    def cache_hit(_request: RecordedRequest, answer: Any) -> Any:
        answer.pop("totalBytesBilled", None)  # what a cached answer may leave out
        answer.update(cacheHit=True, totalBytesProcessed="0")
        return answer

    bq_http_proxy.edit(cache_hit, when=lambda r: r.kind == "jobs.query")
    ann = cost_clients().login("ann")
    run = ann.post(
        "/api/v1/runs", json={"wait_ms": 30_000, "connection": "bq", "sql": "SELECT 1"}
    ).json()
    assert (run.get("status"), run["bytes_billed"], run["bytes_estimated"]) == (
        "succeeded",
        0,
        3 * GB,
    )
    since = utcnow() - timedelta(days=1)
    assert cost_services.cost_store.spent("bq", [user_id(cost_services, "ann")], since) == 0
