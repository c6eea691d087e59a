"""The schema browser's API: the catalog, one table, search, caching and refresh."""

from __future__ import annotations

from belvedere.services import Services
from tests.support.web.client import Client


def test_catalog_lists_schemas_and_tables(client: Client) -> None:
    catalog = client.get("/api/v1/connections/demo/catalog").json()
    assert catalog["table_count"] == 7
    assert catalog["complete"] is True  # DuckDB: the whole catalog at once
    [main] = catalog["schemas"]
    assert (main["name"], main["error"], main["columns"]) == ("main", None, "loaded")
    tables = {t["name"]: t for t in main["tables"]}
    assert {"customers", "orders", "order_lines", "products", "sales"} <= set(tables)
    assert tables["sales"]["kind"] == "view"
    assert tables["orders"]["column_count"] == 5
    assert tables["orders"]["columns"] is None  # columns come on request
    with_columns = client.get("/api/v1/connections/demo/catalog?columns=true").json()
    orders = next(t for t in with_columns["schemas"][0]["tables"] if t["name"] == "orders")
    assert [c["name"] for c in orders["columns"]][:2] == ["order_id", "customer_id"]


def test_one_table_with_its_columns(client: Client) -> None:
    table = client.get("/api/v1/connections/demo/catalog/tables/main/orders").json()
    assert table["schema"] == "main"
    columns = {c["name"]: c["type"] for c in table["columns"]}
    assert columns["ordered_at"] == "TIMESTAMP"
    missing = client.get("/api/v1/connections/demo/catalog/tables/main/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "table_not_found"


def test_search_finds_tables_then_columns(client: Client) -> None:
    matches = client.get("/api/v1/connections/demo/catalog/search?q=order").json()["matches"]
    kinds = [m["kind"] for m in matches]
    assert kinds[: kinds.index("column")] == ["table", "table"]  # orders, order_lines
    assert {"orders", "order_lines"} == {m["table"] for m in matches if m["kind"] == "table"}
    assert any(m["column"] == "ordered_at" for m in matches)
    found = client.get("/api/v1/connections/demo/catalog/search?q=order").json()
    assert found["loading"] == []  # every column searched
    assert client.get("/api/v1/connections/demo/catalog/search?q=zzz").json()["matches"] == []


def test_catalog_is_cached_until_refreshed(client: Client, services: Services) -> None:
    first = client.get("/api/v1/connections/demo/catalog").json()
    again = client.get("/api/v1/connections/demo/catalog").json()
    assert again["loaded_at"] == first["loaded_at"]
    fresh = client.get("/api/v1/connections/demo/catalog?refresh=true").json()
    assert fresh["loaded_at"] > first["loaded_at"]


def test_catalog_of_an_unknown_connection(client: Client) -> None:
    response = client.get("/api/v1/connections/nope/catalog")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "connection_not_found"


def test_prioritize_names_schemas_and_is_documented(client: Client) -> None:
    answer = client.get("/api/v1/connections/demo/catalog?prioritize=main&prioritize=nope")
    assert answer.status_code == 200
    assert answer.json()["complete"] is True
    spec = client.get("/api/v1/openapi.json").json()
    params = spec["paths"]["/api/v1/connections/{name}/catalog"]["get"]["parameters"]
    assert "prioritize" in {p["name"] for p in params}
    schema = spec["components"]["schemas"]
    assert schema["ColumnsState"]["enum"] == ["loaded", "loading", "error"]
    assert schema["SchemaOut"]["properties"]["columns"]["$ref"].endswith("/ColumnsState")
    assert "loading" in schema["SearchOut"]["properties"]
