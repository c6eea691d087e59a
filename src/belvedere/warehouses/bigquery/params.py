"""Query parameters as BigQuery wants them: typed, positional (``?``) or named (``@name``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from google.cloud.bigquery import ArrayQueryParameter, ScalarQueryParameter

from belvedere.warehouses.base import Params
from belvedere.warehouses.errors import ErrorKind, WarehouseError

Parameter = ScalarQueryParameter | ArrayQueryParameter


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, Decimal):
        return "NUMERIC"
    if isinstance(value, datetime):
        return "TIMESTAMP" if value.tzinfo else "DATETIME"
    if isinstance(value, date):
        return "DATE"
    if isinstance(value, time):
        return "TIME"
    if isinstance(value, bytes):
        return "BYTES"
    if isinstance(value, str) or value is None:
        return "STRING"
    raise WarehouseError(ErrorKind.INVALID, f"unsupported parameter value {value!r}")


def _parameter(name: str | None, value: Any) -> Parameter:
    if isinstance(value, list | tuple):
        element = _type_of(next((v for v in value if v is not None), ""))
        return ArrayQueryParameter(name, element, list(value))
    return ScalarQueryParameter(name, _type_of(value), value)


def query_parameters(params: Params) -> list[Parameter]:
    """Typed BigQuery parameters of positional or named values."""
    if params is None:
        return []
    if isinstance(params, Mapping):
        return [_parameter(str(k), v) for k, v in params.items()]
    return [_parameter(None, v) for v in params]
