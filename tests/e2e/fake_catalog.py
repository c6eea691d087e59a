"""A BigQuery-sized catalog served to the browser by request routing, so the schema browser's
behaviour at scale (10,000 tables, nested fields, partitioning, an unreadable dataset) is tested
without a warehouse. The demo connection is presented as a BigQuery one; nothing reaches it but
what a test runs. Datasets can be held "loading" (listed, columns not yet there) until the test
lands them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from playwright.sync_api import Page, Route

DATASETS = [f"catalog_{i:02d}" for i in range(1, 6)]
TABLES_PER_DATASET = 2000
TABLE_COUNT = len(DATASETS) * TABLES_PER_DATASET + 4
UNREADABLE = "restricted"
UNREADABLE_ERROR = "Access Denied: Dataset acme:restricted: permission bigquery.tables.list denied"


def column(name: str, type_: str, **extra: Any) -> dict[str, Any]:
    """A column as the table endpoint answers it."""
    return {
        "name": name,
        "type": type_,
        "nullable": True,
        "description": "",
        "mode": "",
        "partitioning": False,
        "clustering": None,
        "fields": [],
        **extra,
    }


ADDRESS = column(
    "address",
    "STRUCT<city STRING, zip STRING>",
    fields=[column("city", "STRING", description="Where they live"), column("zip", "STRING")],
)
COLUMNS: dict[str, list[dict[str, Any]]] = {
    "nested": [
        column("id", "INT64", nullable=False),
        column(
            "person",
            "STRUCT<name STRING, address STRUCT<city STRING, zip STRING>>",
            fields=[column("name", "STRING"), ADDRESS],
        ),
        column("tags", "ARRAY<STRING>", mode="REPEATED"),
        column(
            "items",
            "ARRAY<STRUCT<sku STRING, qty INT64>>",
            mode="REPEATED",
            fields=[column("sku", "STRING"), column("qty", "INT64")],
        ),
    ],
    "events": [
        column("event_date", "DATE", partitioning=True),
        column("user_id", "INT64", clustering=1),
        column("kind", "STRING", clustering=2),
    ],
}
GENERIC = [column("id", "INT64"), column("name", "STRING"), column("amount", "NUMERIC")]


def summary(name: str, kind: str = "table", **extra: Any) -> dict[str, Any]:
    """A table as the catalog lists it."""
    columns = COLUMNS.get(name, GENERIC)
    return {
        "name": name,
        "kind": kind,
        "description": "",
        "row_count": None,
        "size_bytes": None,
        "partitioned_by": None,
        "clustered_by": [],
        "column_count": len(columns),
        "columns": None,
        **extra,
    }


def catalog(loading: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The whole listing: the `shop` dataset, five big ones and one that cannot be read;
    the datasets in ``loading`` listed without their columns."""
    shop = [
        summary("big", row_count=1_000_000, size_bytes=48_000_000, description="A million rows"),
        summary(
            "events",
            row_count=5000,
            size_bytes=200_000,
            partitioned_by="event_date",
            clustered_by=["user_id", "kind"],
        ),
        summary("nested", row_count=3, size_bytes=300),
        summary("v_big", kind="view"),
    ]
    schemas = [{"name": "shop", "error": None, "columns": "loaded", "tables": shop}]
    schemas += [
        {
            "name": name,
            "error": None,
            "columns": "loaded",
            "tables": [summary(f"t_{i:05d}") for i in range(TABLES_PER_DATASET)],
        }
        for name in DATASETS
    ]
    schemas.append(
        {"name": UNREADABLE, "error": UNREADABLE_ERROR, "columns": "error", "tables": []}
    )
    schemas.sort(key=lambda s: s["name"])
    for schema in schemas:
        if schema["name"] in loading:
            schema["columns"] = "loading"
            schema["tables"] = [
                {**t, "column_count": None, "row_count": None, "size_bytes": None}
                for t in schema["tables"]
            ]
    return {
        "connection": "demo",
        "loaded_at": "2030-01-02T03:04:05Z",
        "load_ms": 1234.5,
        "table_count": TABLE_COUNT,
        "complete": not loading,
        "schemas": schemas,
    }


@dataclass
class FakeCatalog:
    """What the browser asked of the fake catalog, and the datasets it holds loading."""

    listings: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    prioritized: list[list[str]] = field(default_factory=list)
    """Each listing's ``prioritize`` parameters."""
    loading: set[str] = field(default_factory=set)
    held: dict[str, list[Route]] = field(default_factory=dict)
    """Table requests of loading datasets, answered when they land."""

    def land(self, dataset: str) -> None:
        """The dataset's columns are loaded: listed so, and its held table requests answered
        (call it from the test's thread)."""
        self.loading.discard(dataset)
        for route in self.held.pop(dataset, []):
            answer_table(route, dataset, route.request.url.rsplit("/", 1)[-1])


def answer_table(route: Route, schema: str, name: str) -> None:
    columns = COLUMNS.get(unquote(name), GENERIC)
    body = {**summary(unquote(name)), "schema": schema, "columns": columns}
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


CATALOG = re.compile(r"/api/v1/connections/demo/catalog(/.*)?(\?.*)?$")


def install(page: Page, loading: tuple[str, ...] = ()) -> FakeCatalog:
    """Serve the fake catalog on `page` and present the demo connection as BigQuery; the
    datasets in ``loading`` are listed without columns until :meth:`FakeCatalog.land`."""
    seen = FakeCatalog(loading=set(loading))
    listings: dict[frozenset[str], str] = {}

    def listing() -> str:
        state = frozenset(seen.loading)
        if state not in listings:
            listings[state] = json.dumps(catalog(state))
        return listings[state]

    def connections(route: Route) -> None:
        answer = route.fetch()
        listed = answer.json()
        for connection in listed:
            if connection["name"] == "demo":
                connection.update(kind="bigquery", dialect="bigquery", options={"project": "acme"})
        route.fulfill(response=answer, json=listed)

    def catalog_route(route: Route) -> None:
        url = urlparse(route.request.url)
        rest = url.path.split("/catalog", 1)[1]
        if rest == "":
            seen.listings.append(route.request.url)
            seen.prioritized.append(parse_qs(url.query).get("prioritize", []))
            route.fulfill(status=200, content_type="application/json", body=listing())
        elif rest.startswith("/tables/"):
            schema, name = (unquote(p) for p in rest.removeprefix("/tables/").split("/"))
            seen.tables.append(f"{schema}.{name}")
            if schema in seen.loading:
                seen.held.setdefault(schema, []).append(route)
            else:
                answer_table(route, schema, name)
        elif rest == "/search":
            q = parse_qs(url.query)["q"][0].lower()
            seen.searches.append(q)
            matches = [
                {"schema": "shop", "table": "nested", "kind": "column", "column": path, "type": t}
                for path, t in [
                    ("person.address.city", "STRING"),
                    ("person.address.zip", "STRING"),
                ]
                if q in path
            ]
            loading = sorted(seen.loading)
            body = {"matches": matches, "loading": loading}
            route.fulfill(status=200, content_type="application/json", json=body)
        else:
            route.fulfill(status=404, json={"error": {"code": "not_found", "message": "no"}})

    page.route(re.compile(r"/api/v1/connections(\?[^/]*)?$"), connections)
    page.route(CATALOG, catalog_route)
    return seen
