"""The schema browser on BigQuery: every dataset's tables listed at once (datasets.list,
tables.list), then columns loaded in bulk from INFORMATION_SCHEMA (never a tables.get per
table), the datasets asked for first; nested fields as a tree, partitioning and clustering,
sizes, an unreadable dataset shown as such, cached until refreshed, searchable."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.bigquery.seed import CATALOG_DATASETS, Seeded
from tests.support.faults import HttpProxy, RecordedRequest, bq_error, mentions
from tests.support.web.client import PASSWORD, Client, app_clients

T = TypeVar("T")
#: A catalog load on the emulator takes seconds per dataset (it runs one query at a time).
LOAD_SECONDS = 180.0


def until(check: Callable[[], T | None], what: str, seconds: float = LOAD_SECONDS) -> T:
    """``check()``'s first truthy answer, asked until ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.1)
    return found


def ask(api: Client, path: str = "", **params: Any) -> dict[str, Any]:
    response = api.get(f"/api/v1/connections/bq/catalog{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def load(api: Client, refresh: bool = False) -> dict[str, Any]:
    """The catalog once every dataset's columns are in: the first answer lists the tables,
    and it is asked again until it says it is complete."""
    first = ask(api, refresh=str(refresh).lower())
    return first if first["complete"] else full_catalog(api)


def full_catalog(api: Client) -> dict[str, Any]:
    """The catalog, asked until it is complete."""

    def complete() -> dict[str, Any] | None:
        catalog = ask(api)
        return catalog if catalog["complete"] else None

    return until(complete, "the full catalog")


def schemas_of(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in catalog["schemas"]}


def is_metadata_query(dataset: str) -> Callable[[RecordedRequest], bool]:
    """INFORMATION_SCHEMA queries of ``dataset`` (not its tables.list)."""
    return lambda r: dataset in (r.sql or "") and "INFORMATION_SCHEMA" in (r.sql or "")


def queried_order(requests: list[RecordedRequest]) -> list[str]:
    """The datasets in the order their first INFORMATION_SCHEMA query was sent."""
    order: list[str] = []
    for request in requests:
        sql = request.sql or ""
        for dataset in CATALOG_DATASETS:
            if dataset in sql and "INFORMATION_SCHEMA" in sql and dataset not in order:
                order.append(dataset)
    return order


def went_before(first: str, others: list[str], requests: list[RecordedRequest]) -> bool:
    """Whether ``first``'s columns were queried before any of ``others``' (a closed app of
    an earlier test may still be finishing a query: the order is judged among these only)."""
    order = queried_order(requests)
    if first not in order:
        return False
    return all(o not in order or order.index(first) < order.index(o) for o in others)


@dataclass
class Loaded:
    api: Client
    catalog: dict[str, Any]
    requests: list[RecordedRequest]
    """What the first load sent to BigQuery."""


@dataclass
class App:
    services: Services
    api: Client
    make: Callable[[], Client]


def bq_app(settings: Settings, bq_options: dict[str, Any], proxy: HttpProxy) -> Iterator[App]:
    services = Services(settings)
    services.first_start()
    services.connections.add("bq", "bigquery", bq_options)
    with app_clients(services) as make:
        yield App(services, make().login(), lambda: make().login())
    services.close()  # starts no more schema loads; those in flight end on the emulator:
    proxy.reset()
    proxy.wait_idle()  # not among the next test's requests


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory, bq_http_proxy: HttpProxy, bq_grpc_proxy: Any
) -> Iterator[Loaded]:
    """One app for the module (the emulator runs queries one at a time, so a catalog load
    takes seconds there), with its catalog loaded once."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("catalog"), admin_password=PASSWORD, demo=False
    )
    options = {
        "project": "test-project",
        "auth": "none",
        "api_endpoint": bq_http_proxy.url,
        "storage_api_endpoint": bq_grpc_proxy.target,
        "storage_api_insecure": True,
    }
    for app in bq_app(settings, options, bq_http_proxy):
        bq_http_proxy.reset()
        bq_http_proxy.clear()
        catalog = load(app.api)
        yield Loaded(app.api, catalog, bq_http_proxy.requests)


@pytest.fixture
def one_app(
    make_settings: Callable[..., Settings], bq_options: dict[str, Any], bq_http_proxy: HttpProxy
) -> Iterator[App]:
    """An app of its own whose catalogs load one dataset's columns at a time."""
    yield from bq_app(make_settings(catalog_parallel_schemas=1), bq_options, bq_http_proxy)


@pytest.fixture
def one_at_a_time(one_app: App) -> Client:
    """A client of :func:`one_app`, signed in as the admin."""
    return one_app.api


def test_catalog_loads_every_dataset_in_bulk(loaded: Loaded, bq_seed: Seeded) -> None:
    datasets = schemas_of(loaded.catalog)
    assert set(bq_seed.datasets) <= set(datasets)
    assert loaded.catalog["table_count"] >= 200
    assert {s["columns"] for s in datasets.values()} == {"loaded"}
    for name, tables in bq_seed.tables.items():
        assert {t["name"] for t in datasets[name]["tables"]} == set(tables)
    kinds = {r.kind for r in loaded.requests}
    assert "tables.get" not in kinds  # no call per table
    assert "tables.list" in kinds  # the outline
    queries = [r.body for r in loaded.requests if r.kind in ("jobs.query", "jobs.insert")]
    assert len(queries) <= 3 * len(datasets)  # a few INFORMATION_SCHEMA queries per dataset
    labels = {
        (q.get("labels") or q["configuration"]["labels"])["belvedere_surface"] for q in queries
    }
    assert labels == {"catalog"}


def test_nested_fields_partitioning_clustering_and_sizes(loaded: Loaded) -> None:
    catalog, bq_api = loaded.catalog, loaded.api
    shop = {t["name"]: t for t in schemas_of(catalog)["shop"]["tables"]}
    assert shop["v_big"]["kind"] == "view"
    assert shop["big"]["row_count"] == 1_000_000
    events = shop["events"]
    assert (events["partitioned_by"], events["clustered_by"]) == ("ts", ["user_id", "kind"])
    assert events["description"]
    nested = bq_api.get("/api/v1/connections/bq/catalog/tables/shop/nested").json()
    columns = {c["name"]: c for c in nested["columns"]}
    customer = columns["customer"]
    assert customer["type"].startswith("STRUCT<")
    address = next(f for f in customer["fields"] if f["name"] == "address")
    assert [f["name"] for f in address["fields"]] == ["city", "zip"]
    assert columns["tags"]["mode"] == "REPEATED"
    items = columns["items"]
    assert items["mode"] == "REPEATED"
    assert [f["name"] for f in items["fields"]] == ["sku", "qty"]


def test_unreadable_dataset_shows_as_such_and_blanks_nothing(
    loaded: Loaded, bq_http_proxy: HttpProxy
) -> None:
    bq_api = loaded.api
    denied = (
        "Access Denied: Dataset test-project:catalog_03: Permission bigquery.tables.list denied"
    )
    bq_http_proxy.status(403, bq_error(403, "accessDenied", denied), when=mentions("catalog_03"))
    datasets = schemas_of(load(bq_api, refresh=True))
    assert datasets["catalog_03"]["error"] == denied
    assert datasets["catalog_03"]["columns"] == "error"
    assert datasets["catalog_03"]["tables"] == []
    assert len(datasets["catalog_02"]["tables"]) == 45
    assert datasets["shop"]["error"] is None


def test_a_dataset_whose_columns_fail_keeps_its_tables(
    loaded: Loaded, bq_http_proxy: HttpProxy
) -> None:
    bq_api = loaded.api
    denied = "Access Denied: Table test-project:catalog_04.INFORMATION_SCHEMA.COLUMNS"
    bq_http_proxy.status(
        403, bq_error(403, "accessDenied", denied), when=is_metadata_query("catalog_04")
    )
    datasets = schemas_of(load(bq_api, refresh=True))
    broken = datasets["catalog_04"]
    assert (broken["columns"], broken["error"]) == ("error", denied)
    assert len(broken["tables"]) == 45  # as listed
    assert {t["column_count"] for t in broken["tables"]} == {None}
    table = broken["tables"][0]["name"]
    answer = bq_api.get(f"/api/v1/connections/bq/catalog/tables/catalog_04/{table}")
    assert answer.status_code >= 400
    assert denied in answer.json()["error"]["message"]
    assert datasets["catalog_05"]["columns"] == "loaded"


def test_catalog_is_cached_until_refreshed(loaded: Loaded, bq_http_proxy: HttpProxy) -> None:
    bq_api = loaded.api
    first = load(bq_api)
    bq_http_proxy.clear()
    assert load(bq_api)["loaded_at"] == first["loaded_at"]
    assert bq_http_proxy.requests == []  # served from the cache
    refreshed = load(bq_api, refresh=True)
    assert refreshed["loaded_at"] > first["loaded_at"]
    assert bq_http_proxy.queries()


def test_search_across_datasets_and_nested_fields(loaded: Loaded) -> None:
    bq_api = loaded.api
    load(bq_api)
    found = ask(bq_api, "/search", q="invoices")
    assert found["loading"] == []
    matches = found["matches"]
    assert {m["schema"] for m in matches} >= {"catalog_01", "catalog_05"}
    assert all(m["kind"] == "table" for m in matches)
    city = ask(bq_api, "/search", q="city")["matches"]
    assert {
        "schema": "shop",
        "table": "nested",
        "kind": "column",
        "column": "customer.address.city",
        "type": "STRING",
    } in city


# -- the outline at once, columns as they land ------------------------------------------------


def test_the_tables_answer_before_the_columns_of_a_slow_dataset(
    one_at_a_time: Client, bq_http_proxy: HttpProxy, bq_seed: Seeded
) -> None:
    api = one_at_a_time
    bq_http_proxy.delay(4.0, when=is_metadata_query("catalog_02"))
    started = time.monotonic()
    first = ask(api)
    assert time.monotonic() - started < 3.0
    assert first["complete"] is False
    datasets = schemas_of(first)
    assert datasets["catalog_02"]["columns"] == "loading"
    for name, tables in bq_seed.tables.items():
        assert {t["name"] for t in datasets[name]["tables"]} == set(tables)
    slow = datasets["catalog_02"]["tables"][0]
    assert (slow["column_count"], slow["row_count"]) == (None, None)

    full = full_catalog(api)
    landed = schemas_of(full)["catalog_02"]
    assert landed["columns"] == "loaded"
    assert all(t["column_count"] >= 3 for t in landed["tables"])


def test_a_prioritized_dataset_loads_first(one_at_a_time: Client, bq_http_proxy: HttpProxy) -> None:
    api = one_at_a_time
    first = ask(api, prioritize="catalog_05")
    assert first["complete"] is False
    until(lambda: len(queried_order(bq_http_proxy.requests)) >= 2, "two datasets loading")
    assert went_before("catalog_05", list(CATALOG_DATASETS[:4]), bq_http_proxy.requests)


def test_a_dataset_asked_for_while_loading_goes_next(
    one_at_a_time: Client, bq_http_proxy: HttpProxy
) -> None:
    api = one_at_a_time
    bq_http_proxy.delay(2.0, when=is_metadata_query("catalog_01"))
    ask(api)
    until(lambda: queried_order(bq_http_proxy.requests), "a dataset loading")
    ask(api, prioritize="catalog_04")
    until(lambda: "catalog_04" in queried_order(bq_http_proxy.requests), "catalog_04 loading")
    assert went_before("catalog_04", ["catalog_02", "catalog_03"], bq_http_proxy.requests)


def test_a_table_opened_while_its_dataset_loads_waits_for_its_columns(
    one_at_a_time: Client, bq_http_proxy: HttpProxy
) -> None:
    api = one_at_a_time
    first = ask(api)
    table = schemas_of(first)["catalog_03"]["tables"][0]["name"]
    opened = ask(api, f"/tables/catalog_03/{table}")
    assert len(opened["columns"]) >= 3
    assert went_before("catalog_03", ["catalog_02"], bq_http_proxy.requests)


def test_search_says_which_datasets_are_still_loading(
    one_at_a_time: Client, bq_http_proxy: HttpProxy
) -> None:
    api = one_at_a_time
    bq_http_proxy.delay(4.0, when=is_metadata_query("catalog_02"))
    ask(api, prioritize="shop")
    while_loading = ask(api, "/search", q="invoices")
    assert "catalog_02" in while_loading["loading"]
    assert "catalog_02" in {m["schema"] for m in while_loading["matches"]}  # tables by name
    until(lambda: ask(api)["complete"], "the full catalog")
    assert ask(api, "/search", q="invoices")["loading"] == []


def test_concurrent_requests_share_one_load_until_forgotten(
    one_app: App, bq_http_proxy: HttpProxy
) -> None:
    bq_http_proxy.delay(1.0, when=lambda r: r.kind == "datasets.list")
    clients = [one_app.make() for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(ask, clients))
    assert {a["loaded_at"] for a in answers} == {answers[0]["loaded_at"]}
    listed = [r for r in bq_http_proxy.requests if r.kind == "datasets.list"]
    assert len(listed) == 1  # one load for all three

    one_app.services.catalog.forget("bq")  # e.g. the connection changed: a new load
    again = ask(one_app.api)
    assert again["loaded_at"] > answers[0]["loaded_at"]
    listed = [r for r in bq_http_proxy.requests if r.kind == "datasets.list"]
    assert len(listed) == 2
