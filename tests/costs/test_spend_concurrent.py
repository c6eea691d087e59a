"""Rollups equal the sum of the runs when several users run at once: queries through the API,
charts and dashboard tiles on the BigQuery emulator, each job billing what the recording
proxy says (the emulator bills nothing), rolled up per user, connection, surface, chart,
dashboard and day; the CSV says what the JSON says."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from belvedere.services import Services
from belvedere.store.models import QueryRun
from tests.costs.bq import GB
from tests.support.faults import HttpProxy, RecordedRequest
from tests.support.web.client import Client, MakeClient

SPEC = {
    "type": "bar",
    "source": {"kind": "table", "schema": "shop", "table": "events"},
    "dimensions": ["kind"],
    "metrics": [{"agg": "sum", "column": "value"}],
}
CHART_GB = 3
BY = "day,user,connection,surface,chart,dashboard"
SINCE = {"since": (datetime.now(UTC) - timedelta(days=1)).isoformat()}


def bill_by_the_sql(proxy: HttpProxy) -> None:
    """Each query job bills ``n`` GB for ``SELECT n AS billed``, :data:`CHART_GB` otherwise."""

    def change(request: RecordedRequest, answer: Any) -> Any:
        found = re.search(r"SELECT (\d+) AS billed", request.sql or "")
        billed = (int(found.group(1)) if found else CHART_GB) * GB
        if isinstance(answer, dict):
            answer.update(totalBytesProcessed=str(billed), totalBytesBilled=str(billed))
        return answer

    proxy.edit(change, when=lambda r: r.kind == "jobs.query")


def chart_and_board(admin: Client) -> tuple[list[int], int]:
    ids = []
    for n in range(3):
        chart = admin.post(
            "/api/v1/charts",
            json={"name": f"Chart {n}", "connection": "bq", "spec": {**SPEC, "limit": 10 + n}},
        )
        assert chart.status_code == 201, chart.text
        ids.append(chart.json()["id"])
    board = admin.post("/api/v1/dashboards", json={"title": "Board"}).json()
    tiles = [
        {"id": f"t{n}", "kind": "chart", "chart_id": i, "x": 0, "y": 4 * n, "w": 6, "h": 4}
        for n, i in enumerate(ids)
    ]
    changed = admin.patch(f"/api/v1/dashboards/{board['id']}", json={"layout": {"tiles": tiles}})
    assert changed.status_code == 200, changed.text
    return ids, board["id"]


def test_rollups_equal_the_runs_of_several_users_at_once(
    cost_services: Services, cost_clients: MakeClient, bq_http_proxy: HttpProxy
) -> None:
    bill_by_the_sql(bq_http_proxy)
    admin = cost_clients().login()
    charts, board = chart_and_board(admin)
    people = {name: cost_clients().login(name) for name in ("ann", "bob", "eve")}

    def queries(name: str) -> int:
        client, billed = people[name], 0
        for n in range(1, 6):
            amount = n + 10 * len(name) + ord(name[0])
            response = client.post(
                "/api/v1/runs",
                json={"wait_ms": 30_000, "connection": "bq", "sql": f"SELECT {amount} AS billed"},
            )
            assert response.json().get("status") == "succeeded", response.text
            billed += amount * GB
        return billed

    def tiles() -> None:
        for chart_id in charts:
            for path in (
                f"/api/v1/charts/{chart_id}/data?force=true",
                f"/api/v1/dashboards/{board}/charts/{chart_id}/data",
            ):
                response = (
                    admin.get(path)
                    if "dashboards" not in path
                    else admin.post(path, json={"force": True})
                )
                assert response.status_code == 200, response.text

    with ThreadPoolExecutor(4) as pool:
        billed = {name: pool.submit(queries, name) for name in people}
        drawn = pool.submit(tiles)
        billed_by = {name: future.result() for name, future in billed.items()}
        drawn.result()

    with cost_services.db.session() as s:
        runs = list(s.scalars(select(QueryRun)))
    names = {u.id: u.username for u in cost_services.users.list()}
    paris = ZoneInfo("Europe/Paris")  # the admin's days: the server's time zone
    expected: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for run in runs:
        key = (
            run.submitted_at.astimezone(paris).date().isoformat(),
            names[run.user_id] if run.user_id is not None else run.actor,
            run.connection_name,
            run.surface,
            run.chart_id,
            run.dashboard_id,
        )
        expected[key][0] += 1
        expected[key][1] += run.bytes_billed or 0

    body = admin.get("/api/v1/spend", params={"by": BY, **SINCE}).json()
    got = {
        (r["day"], r["user"], r["connection"], r["surface"], r["chart_id"], r["dashboard_id"]): [
            r["runs"],
            r["bytes_billed"],
        ]
        for r in body["rows"]
    }
    assert got == dict(expected)
    admins = [r for r in runs if names.get(r.user_id or 0) == "admin"]
    drawn_runs = [r for r in admins if r.chart_id is not None]
    assert len(drawn_runs) == 2 * len(charts)  # each drawn once as a chart, once as a tile
    assert all(r.dashboard_id == board for r in drawn_runs if r.surface == "dashboard")
    billed_by["admin"] = len(admins) * CHART_GB * GB  # and their sources' columns, learnt
    per_user = admin.get("/api/v1/spend", params={"by": "user", **SINCE})
    assert {r["user"]: r["bytes_billed"] for r in per_user.json()["rows"]} == billed_by
    assert body["total"]["bytes_billed"] == sum(billed_by.values())

    export = admin.get("/api/v1/spend/export", params={"by": BY, **SINCE})
    lines = list(csv.DictReader(io.StringIO(export.text)))
    as_json = [
        {k: "" if v is None else (f"{v:.6f}" if k == "cost" else str(v)) for k, v in r.items()}
        for r in body["rows"]
    ]
    assert lines == as_json
