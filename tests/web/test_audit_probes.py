"""The chart builder's column probes (the ``LIMIT 0`` runs it makes to learn a source's
columns) are recorded, but are no one's query: left out of the audit list, its CSV, one's
history and spend unless asked for; a probe that billed still counts as spend."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from belvedere.services import Services
from belvedere.store.models import QueryRun
from tests.support.web.client import Client

SOURCE = {"kind": "table", "schema": "main", "table": "sales"}
AROUND = {
    "since": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
    "until": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
}


def probe_and_query(client: Client) -> None:
    """A column probe (the builder picking a source) and a query of the user's."""
    probe = client.post("/api/v1/charts/columns", json={"connection": "demo", "source": SOURCE})
    assert probe.status_code == 200, probe.text
    run = client.post(
        "/api/v1/runs", json={"connection": "demo", "sql": "SELECT 1 AS one", "wait_ms": 30000}
    )
    assert run.status_code == 200, run.text


def sqls(entries: list[dict[str, Any]]) -> list[str]:
    return [e["sql"] for e in entries]


def test_probes_are_left_out_of_the_audit_list_unless_asked(client: Client) -> None:
    probe_and_query(client)
    listed = client.get("/api/v1/audit").json()["entries"]
    assert sqls(listed) == ["SELECT 1 AS one"]
    probes = client.get("/api/v1/audit", params={"surface": "probe"}).json()["entries"]
    assert [(e["surface"], "LIMIT 0" in e["sql"].upper()) for e in probes] == [("probe", True)]
    both = client.get("/api/v1/audit", params={"probes": "true"}).json()["entries"]
    assert [e["surface"] for e in both] == ["api", "probe"]
    exported = client.get("/api/v1/audit/export").text
    assert [r["sql"] for r in csv.DictReader(io.StringIO(exported))] == ["SELECT 1 AS one"]


def test_probes_are_not_in_ones_history(client: Client) -> None:
    probe_and_query(client)
    history = client.get("/api/v1/history").json()["runs"]
    assert [r["sql"] for r in history] == ["SELECT 1 AS one"]


def test_spend_leaves_out_probes_but_counts_what_one_billed(
    client: Client, services: Services
) -> None:
    probe_and_query(client)
    total = client.get("/api/v1/spend", params=AROUND).json()["total"]
    assert (total["runs"], total["bytes_billed"]) == (1, 0)
    with services.db.session() as session:
        session.execute(
            update(QueryRun).where(QueryRun.surface == "probe").values(bytes_billed=10 * 2**20)
        )
    total = client.get("/api/v1/spend", params=AROUND).json()["total"]
    assert (total["runs"], total["bytes_billed"]) == (2, 10 * 2**20)
    by_surface = client.get("/api/v1/spend", params={**AROUND, "by": "surface"}).json()["rows"]
    assert {r["surface"]: r["runs"] for r in by_surface} == {"api": 1, "probe": 1}
