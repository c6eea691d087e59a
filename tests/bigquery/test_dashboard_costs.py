"""What a dashboard would cost, through the API on the emulator: a force refresh's estimate (the
sum of its tiles' dry runs as the viewer; the proxy answers the dry runs with given byte counts,
since the emulator's say 0) and the refusal of an auto-refresh interval over a budget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from belvedere.costs.model import Scope
from belvedere.services import Services
from tests.bigquery.test_round_trips import query_starts
from tests.costs.boards import client_send, make_chart, make_dashboard, tiles
from tests.costs.bq import dry_run_answer, jobs_bill
from tests.costs.bq import is_dry_run as dry_run
from tests.support.faults import HttpProxy, RecordedRequest, bq_error
from tests.support.web.client import PASSWORD, Client, app_clients

GB = 1024**3


def dry_run_of(limit: int) -> Callable[[RecordedRequest], bool]:
    """The dry run of the chart whose spec has this row limit."""
    return lambda r: dry_run(r) and f"LIMIT {limit}" in (r.sql or "")


def answer_dry_runs(proxy: HttpProxy, sizes: dict[int, int]) -> None:
    """Dry runs of the charts of these row limits say these many bytes."""
    for limit, size in sizes.items():
        proxy.status(200, dry_run_answer(size), when=dry_run_of(limit))


def chart(api: Client, name: str, *, limit: int, connection: str = "bq", **extra: Any) -> int:
    return make_chart(client_send(api), name, limit=limit, connection=connection, **extra)


def dashboard(api: Client, chart_ids: list[int], **changes: Any) -> int:
    return make_dashboard(client_send(api), chart_ids, **changes)


@pytest.fixture
def demo(bq_services: Services, demo_path: Path) -> str:
    """The demo warehouse (DuckDB: not billed by bytes) beside ``bq``."""
    bq_services.connections.add("demo", "duckdb", {"path": str(demo_path), "read_only": True})
    return "demo"


def admin_id(services: Services) -> int:
    admin = services.users.by_username("admin")
    assert admin is not None
    return admin.id


def daily_budget(services: Services, size: int) -> None:
    """The admin's own daily budget on ``bq``."""
    services.cost_store.set_rule(
        "bq",
        Scope.USER,
        str(admin_id(services)),
        max_bytes_per_query=None,
        daily_bytes=size,
        monthly_bytes=None,
        actor_id=None,
    )


def test_chart_data_says_what_its_run_cost(
    bq_api: Client, bq_http_proxy: HttpProxy, demo: str
) -> None:
    jobs_bill(bq_http_proxy, 3 * GB)
    sales = chart(bq_api, "Sales", limit=11)
    first = bq_api.get(f"/api/v1/charts/{sales}/data").json()
    again = bq_api.get(f"/api/v1/charts/{sales}/data").json()
    cost = ("cached", "bytes_processed", "bytes_billed", "bills_bytes")
    assert [first[k] for k in cost] == [False, 3 * GB, 3 * GB, True]
    assert [again[k] for k in cost] == [True, 3 * GB, 3 * GB, True]  # what the run it reuses cost
    local = bq_api.get(f"/api/v1/charts/{chart(bq_api, 'Local', limit=13, connection=demo)}/data")
    assert local.json()["bills_bytes"] is False


def test_the_estimate_sums_the_dry_runs_of_the_tiles_and_starts_nothing(
    bq_api: Client, bq_http_proxy: HttpProxy, demo: str
) -> None:
    sales, orders = chart(bq_api, "Sales", limit=11), chart(bq_api, "Orders", limit=12)
    local = chart(bq_api, "Local", limit=13, connection=demo)
    board = dashboard(bq_api, [sales, orders, local, sales])
    answer_dry_runs(bq_http_proxy, {11: 6 * GB, 12: 5 * GB})
    bq_http_proxy.clear()

    found = bq_api.post(f"/api/v1/dashboards/{board}/estimate", json={"filters": []})
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["applies"], body["bytes"], body["text"]) == (True, 17 * GB, "will process 17.0 GB")
    assert body["confirm"] is True
    assert body["threshold"] == 10 * GB
    assert body["reasons"] == ["It would process 17.0 GB, more than 10.0 GB."]
    assert body["cost"] == pytest.approx(17 / 1024 * 6.25, abs=1e-4)
    assert [(t["name"], t["bills_bytes"], t["bytes"]) for t in body["tiles"]] == [
        ("Sales", True, 6 * GB),
        ("Orders", True, 5 * GB),
        ("Local", False, None),
        ("Sales", True, 6 * GB),
    ]
    [bq] = body["connections"]
    assert (bq["connection"], bq["bytes"], bq["over_budget"]) == ("bq", 17 * GB, False)
    dry_runs = [r for r in bq_http_proxy.requests if dry_run(r)]
    assert len(dry_runs) == 2  # each distinct statement once
    assert query_starts(bq_http_proxy) == 0  # nothing ran, nothing was billed


def test_under_the_threshold_it_asks_only_over_the_budget_left(
    bq_api: Client, bq_services: Services, bq_http_proxy: HttpProxy
) -> None:
    board = dashboard(bq_api, [chart(bq_api, "Sales", limit=11)])
    answer_dry_runs(bq_http_proxy, {11: 3 * GB})
    estimate = f"/api/v1/dashboards/{board}/estimate"
    body = bq_api.post(estimate, json={}).json()
    assert (body["bytes"], body["confirm"], body["reasons"]) == (3 * GB, False, [])
    assert body["connections"][0]["budget_left"] is None

    daily_budget(bq_services, 2 * GB)
    body = bq_api.post(estimate, json={}).json()
    [bq] = body["connections"]
    assert (bq["budget_left"], bq["over_budget"], body["confirm"]) == (2 * GB, True, True)
    assert bq["budget_text"].startswith(
        "2.0 GB left of your daily budget of 2.0 GB, resets at 00:00 on "
    )
    assert bq["budget_text"].endswith(" (UTC)")
    assert body["reasons"] == [f"On bq it would process 3.0 GB, more than the {bq['budget_text']}."]


def test_a_dashboard_not_billed_by_bytes_has_nothing_to_estimate(
    bq_api: Client, bq_http_proxy: HttpProxy, demo: str
) -> None:
    board = dashboard(bq_api, [chart(bq_api, "Local", limit=13, connection=demo)])
    body = bq_api.post(f"/api/v1/dashboards/{board}/estimate", json={}).json()
    assert (body["applies"], body["bytes"], body["text"], body["cost"]) == (False, 0, None, None)
    assert (body["confirm"], body["connections"]) == (False, [])
    assert not [r for r in bq_http_proxy.requests if dry_run(r)]


def test_an_interval_over_the_daily_budget_is_refused_with_the_arithmetic(
    bq_api: Client, bq_services: Services, bq_http_proxy: HttpProxy
) -> None:
    board = dashboard(bq_api, [chart(bq_api, "Sales", limit=11, cache_ttl_seconds=900)])
    answer_dry_runs(bq_http_proxy, {11: GB})
    path = f"/api/v1/dashboards/{board}"
    assert bq_api.patch(path, json={"refresh_seconds": 60}).status_code == 200  # no budget
    assert bq_api.patch(path, json={"refresh_seconds": None}).status_code == 200

    daily_budget(bq_services, 50 * GB)
    refused = bq_api.patch(path, json={"refresh_seconds": 60})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == {
        "code": "refresh_over_budget",
        "field": "refresh_seconds",
        "message": "Refreshing every minute would process about 96.0 GB a day on bq, more than "
        "the 50.0 GB left of your daily budget of 50.0 GB. Sales: 96 runs a day (cache 15 "
        "minutes) of 1.0 GB each, 96.0 GB. Refreshing every 30 minutes fits, or give the charts a "
        "longer cache.",
    }
    assert bq_api.get(path).json()["refresh_seconds"] is None  # nothing saved

    accepted = bq_api.patch(path, json={"refresh_seconds": 1800})  # 48 runs: 48 GB
    assert accepted.status_code == 200, accepted.text
    bq_http_proxy.clear()
    longer = bq_api.patch(path, json={"refresh_seconds": 3600, "title": "Hourly"})
    assert longer.status_code == 200
    assert not [r for r in bq_http_proxy.requests if dry_run(r)]  # longer: nothing to check


def test_adding_a_chart_under_auto_refresh_is_checked(
    bq_api: Client, bq_services: Services, bq_http_proxy: HttpProxy
) -> None:
    sales = chart(bq_api, "Sales", limit=11, cache_ttl_seconds=0)
    board = dashboard(bq_api, [sales], refresh_seconds=3600)
    orders = chart(bq_api, "Orders", limit=12, cache_ttl_seconds=0)
    answer_dry_runs(bq_http_proxy, {11: GB, 12: 2 * GB})
    daily_budget(bq_services, 60 * GB)
    layout = {"tiles": tiles([sales, orders])}
    refused = bq_api.patch(f"/api/v1/dashboards/{board}", json={"layout": layout})
    assert refused.status_code == 422, refused.text
    message = refused.json()["error"]["message"]
    assert message.startswith("Refreshing every hour would process about 72.0 GB a day on bq")
    assert "Sales: 24 runs a day (no cache) of 1.0 GB each, 24.0 GB; " in message
    assert "Orders: 24 runs a day (no cache) of 2.0 GB each, 48.0 GB." in message
    assert message.endswith("Refreshing every 2 hours fits, or give the charts a longer cache.")


def test_a_viewer_gets_the_estimate_as_themselves_with_the_dashboards_filters(
    bq_api: Client, bq_services: Services, bq_http_proxy: HttpProxy
) -> None:
    board = dashboard(
        bq_api,
        [chart(bq_api, "Sales", limit=11)],
        filters=[{"column": "kind", "kind": "values", "label": "Kind"}],
    )
    created = bq_api.post(
        "/api/v1/users", json={"username": "val", "password": PASSWORD, "role": "viewer"}
    )
    assert created.status_code == 201, created.text
    answer_dry_runs(bq_http_proxy, {11: 2 * GB})
    estimate = f"/api/v1/dashboards/{board}/estimate"
    with app_clients(bq_services) as make:
        val = make().login("val", PASSWORD)
        assert val.post(estimate, json={}).status_code == 404  # not shared with them
        shares = {"shares": [{"user": "val", "access": "viewer"}]}
        assert bq_api.put(f"/api/v1/dashboards/{board}/shares", json=shares).status_code == 200

        bq_http_proxy.clear()
        kind = [{"column": "kind", "values": ["click"]}]
        found = val.post(estimate, json={"filters": kind})
        assert found.status_code == 200, found.text
        assert (found.json()["bytes"], found.json()["tiles"][0]["bytes"]) == (2 * GB, 2 * GB)
        [sent] = [r for r in bq_http_proxy.requests if dry_run(r)]
        assert "'click'" in (sent.sql or "")  # the filter reached the dry run

        undeclared = val.post(estimate, json={"filters": [{"column": "value", "values": [1]}]})
        assert undeclared.json()["error"]["code"] == "filter_not_declared"
        bq_http_proxy.clear()
        refused = val.patch(f"/api/v1/dashboards/{board}", json={"refresh_seconds": 60})
        assert refused.json()["error"]["code"] == "not_editor"
        assert not [r for r in bq_http_proxy.requests if dry_run(r)]


def test_a_tile_that_cannot_be_estimated_says_why_and_the_others_still_are(
    bq_api: Client, bq_http_proxy: HttpProxy
) -> None:
    board = dashboard(bq_api, [chart(bq_api, "Sales", limit=11), chart(bq_api, "Gone", limit=12)])
    answer_dry_runs(bq_http_proxy, {11: 4 * GB})
    gone = bq_error(404, "notFound", "Not found: Table test-project:shop.events")
    bq_http_proxy.status(404, gone, when=dry_run_of(12))
    found = bq_api.post(f"/api/v1/dashboards/{board}/estimate", json={})
    assert found.status_code == 200, found.text
    tiles = found.json()["tiles"]
    assert [(t["name"], t["bytes"]) for t in tiles] == [("Sales", 4 * GB), ("Gone", None)]
    assert "Not found: Table" in tiles[1]["error"]
    assert found.json()["bytes"] == 4 * GB
