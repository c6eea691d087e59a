"""The schema browser on BigQuery: loaded in bulk from INFORMATION_SCHEMA (never a tables.get
per table), nested fields as a tree, partitioning and clustering, sizes, an unreadable dataset
shown as such, cached until refreshed, searchable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from belvedere.services import Services
from belvedere.settings import Settings
from tests.support.bigquery.seed import Seeded
from tests.support.faults import HttpProxy, RecordedRequest, bq_error, mentions
from tests.support.web.client import PASSWORD, Client, app_clients


def load(api: Client, refresh: bool = False) -> dict[str, Any]:
    response = api.get(f"/api/v1/connections/bq/catalog?refresh={str(refresh).lower()}")
    assert response.status_code == 200, response.text
    return response.json()


@dataclass
class Loaded:
    api: Client
    catalog: dict[str, Any]
    requests: list[RecordedRequest]
    """What the first load sent to BigQuery."""


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory, bq_http_proxy: HttpProxy, bq_grpc_proxy: Any
) -> Iterator[Loaded]:
    """One app for the module (the emulator runs queries one at a time, so a catalog load
    takes seconds there), with its catalog loaded once."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("catalog"), admin_password=PASSWORD, demo=False
    )
    services = Services(settings)
    services.first_start()
    services.connections.add(
        "bq",
        "bigquery",
        {
            "project": "test-project",
            "auth": "none",
            "api_endpoint": bq_http_proxy.url,
            "storage_api_endpoint": bq_grpc_proxy.target,
            "storage_api_insecure": True,
        },
    )
    with app_clients(services) as make:
        api = make().login()
        bq_http_proxy.reset()
        bq_http_proxy.clear()
        catalog = load(api)
        yield Loaded(api, catalog, bq_http_proxy.requests)
    services.close()


def test_catalog_loads_every_dataset_in_bulk(loaded: Loaded, bq_seed: Seeded) -> None:
    datasets = {s["name"]: s for s in loaded.catalog["schemas"]}
    assert set(bq_seed.datasets) <= set(datasets)
    assert loaded.catalog["table_count"] >= 200
    for name, tables in bq_seed.tables.items():
        assert {t["name"] for t in datasets[name]["tables"]} == set(tables)
    kinds = {r.kind for r in loaded.requests}
    assert "tables.get" not in kinds  # no call per table
    queries = [r.body for r in loaded.requests if r.kind == "jobs.insert"]
    assert len(queries) <= 3 * len(datasets)  # a few INFORMATION_SCHEMA queries per dataset
    labels = {q["configuration"]["labels"]["belvedere_surface"] for q in queries}
    assert labels == {"catalog"}


def test_nested_fields_partitioning_clustering_and_sizes(loaded: Loaded) -> None:
    catalog, bq_api = loaded.catalog, loaded.api
    shop = {t["name"]: t for s in catalog["schemas"] if s["name"] == "shop" for t in s["tables"]}
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
    catalog = load(bq_api, refresh=True)
    datasets = {s["name"]: s for s in catalog["schemas"]}
    assert datasets["catalog_03"]["error"] == denied
    assert datasets["catalog_03"]["tables"] == []
    assert len(datasets["catalog_02"]["tables"]) == 45
    assert datasets["shop"]["error"] is None


def test_catalog_is_cached_until_refreshed(loaded: Loaded, bq_http_proxy: HttpProxy) -> None:
    bq_api = loaded.api
    first = load(bq_api)
    bq_http_proxy.clear()
    assert load(bq_api)["loaded_at"] == first["loaded_at"]
    assert bq_http_proxy.requests == []  # served from the cache
    refreshed = load(bq_api, refresh=True)
    assert refreshed["loaded_at"] > first["loaded_at"]
    assert bq_http_proxy.jobs_inserted()


def test_search_across_datasets_and_nested_fields(loaded: Loaded) -> None:
    bq_api = loaded.api
    matches = bq_api.get("/api/v1/connections/bq/catalog/search?q=invoices").json()["matches"]
    assert {m["schema"] for m in matches} >= {"catalog_01", "catalog_05"}
    assert all(m["kind"] == "table" for m in matches)
    city = bq_api.get("/api/v1/connections/bq/catalog/search?q=city").json()["matches"]
    assert {
        "schema": "shop",
        "table": "nested",
        "kind": "column",
        "column": "customer.address.city",
        "type": "STRING",
    } in city
