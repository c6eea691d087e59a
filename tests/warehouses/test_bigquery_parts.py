"""Parts of the BigQuery backend that need no BigQuery: labels, type strings, parameters,
error translation (quirks as data)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from google.api_core import exceptions as api

from belvedere.warehouses.base import QueryContext
from belvedere.warehouses.bigquery import BigQueryOptions, BigQueryWarehouse
from belvedere.warehouses.bigquery.params import query_parameters
from belvedere.warehouses.bigquery.query import labels
from belvedere.warehouses.bigquery.schema import column_of_type
from belvedere.warehouses.errors import ErrorKind, WarehouseError


def test_labels_are_valid_label_values() -> None:
    context = QueryContext(run_id="ABC123", user="Alice.Smith@Example.com", surface="sqllab")
    assert labels(context) == {
        "belvedere": "true",
        "belvedere_user": "alice_smith_example_com",
        "belvedere_surface": "sqllab",
        "belvedere_run": "abc123",
    }
    long_name = labels(QueryContext(user="x" * 100))["belvedere_user"]
    assert len(long_name) == 63


def test_nested_type_strings_become_trees() -> None:
    column = column_of_type("items", "ARRAY<STRUCT<sku STRING, qty INT64, dims STRUCT<w FLOAT64>>>")
    assert column.mode == "REPEATED"
    assert [f.name for f in column.fields] == ["sku", "qty", "dims"]
    assert [f.name for f in column.fields[2].fields] == ["w"]
    plain = column_of_type("amount", "NUMERIC(10, 2)", partitioning=True, clustering=2)
    assert (plain.mode, plain.fields, plain.partitioning, plain.clustering) == ("", (), True, 2)
    odd = column_of_type("g", "NOT A TYPE <<<")
    assert (odd.type, odd.fields) == ("NOT A TYPE <<<", ())


def test_parameters_are_typed() -> None:
    positional = query_parameters([1, "a", 2.5, True, date(2024, 1, 2), Decimal("1.5"), None])
    assert [p.type_ for p in positional] == [
        "INT64",
        "STRING",
        "FLOAT64",
        "BOOL",
        "DATE",
        "NUMERIC",
        "STRING",
    ]
    named = query_parameters({"since": datetime(2024, 1, 1, tzinfo=UTC), "ids": [1, 2]})
    assert [(p.name, getattr(p, "type_", None) or p.array_type) for p in named] == [
        ("since", "TIMESTAMP"),
        ("ids", "INT64"),
    ]
    with pytest.raises(WarehouseError, match="unsupported parameter"):
        query_parameters([object()])


@pytest.fixture
def warehouse() -> BigQueryWarehouse:
    return BigQueryWarehouse(BigQueryOptions(project="p", auth="none"))


def bq(exc_type: type[api.GoogleAPICallError], reason: str, message: str) -> api.GoogleAPICallError:
    return exc_type(message, errors=[{"reason": reason, "message": message}])


@pytest.mark.parametrize(
    ("exc", "kind", "position"),
    [
        (
            bq(
                api.BadRequest,
                "invalidQuery",
                "Syntax error: Expected end of input but got keyword FROM at [3:7]",
            ),
            ErrorKind.SYNTAX,
            (3, 7),
        ),
        (
            bq(api.BadRequest, "invalidQuery", "Unrecognized name: colour at [1:8]"),
            ErrorKind.NOT_FOUND,
            (1, 8),
        ),
        (
            bq(api.NotFound, "notFound", "Not found: Table p:d.t was not found in location US"),
            ErrorKind.NOT_FOUND,
            (None, None),
        ),
        (
            bq(
                api.Forbidden,
                "accessDenied",
                "Access Denied: Table p:d.t: User does not have permission",
            ),
            ErrorKind.ACCESS_DENIED,
            (None, None),
        ),
        (
            bq(api.Forbidden, "quotaExceeded", "Quota exceeded: Your project exceeded quota"),
            ErrorKind.QUOTA,
            (None, None),
        ),
        (
            bq(api.TooManyRequests, "rateLimitExceeded", "Exceeded rate limits: too many requests"),
            ErrorKind.QUOTA,
            (None, None),
        ),
        (
            bq(
                api.BadRequest,
                "bytesBilledLimitExceeded",
                "Query exceeded limit for bytes billed: 100.",
            ),
            ErrorKind.BYTE_CAP,
            (None, None),
        ),
        (
            bq(api.BadRequest, "resourcesExceeded", "Resources exceeded during query execution"),
            ErrorKind.RESOURCE,
            (None, None),
        ),
        (
            bq(
                api.ServiceUnavailable,
                "backendError",
                "Error encountered during execution. Retrying may solve the problem.",
            ),
            ErrorKind.UNAVAILABLE,
            (None, None),
        ),
        (
            bq(
                api.BadRequest,
                "stopped",
                "Job execution was cancelled: User requested cancellation",
            ),
            ErrorKind.CANCELLED,
            (None, None),
        ),
    ],
)
def test_errors_become_kinds_with_positions(
    warehouse: BigQueryWarehouse,
    exc: api.GoogleAPICallError,
    kind: ErrorKind,
    position: tuple[int | None, int | None],
) -> None:
    translated = warehouse.translate_error(exc)
    assert isinstance(translated, WarehouseError)
    assert translated.kind is kind
    assert (translated.line, translated.column) == position
    assert translated.message == exc.errors[0]["message"]
