"""The family of a column's type (numeric, temporal, text, boolean, other): the one source.

The server sends each column's family with the column (run results, catalog, chart columns),
and drawing reads it, so nothing else guesses from type names. A family comes from the Arrow
type where there is one, else from a type name: Arrow's (``int64``, ``timestamp[us, tz=UTC]``)
or a warehouse's (``BIGINT``, ``timestamp with time zone``, ``FLOAT64``).
"""

from __future__ import annotations

import re
from enum import StrEnum

import pyarrow as pa

from belvedere.warehouses.base import TYPE_METADATA_KEY


class Family(StrEnum):
    """What a column's values are, as charts and grids care."""

    NUMERIC = "numeric"
    TEMPORAL = "temporal"
    TEXT = "text"
    BOOLEAN = "boolean"
    OTHER = "other"


# Type names by family, first match wins. Arrays and nested types first: `integer[]` is not
# a number. Case-insensitive, anchored at the start of the name.
_NAMES: tuple[tuple[Family, re.Pattern[str]], ...] = tuple(
    (family, re.compile(pattern, re.IGNORECASE))
    for family, pattern in (
        (Family.OTHER, r"^(array|list|large_list|fixed_size_list|struct|record|map)\b|\[\]$"),
        (
            Family.NUMERIC,
            r"^(u?int\d*|u?tinyint|u?smallint|u?bigint|u?hugeint|u?integer|halffloat|float\d*"
            r"|double|decimal\d*|numeric|bignumeric|bigdecimal|real|number"
            r"|smallserial|serial\d*|bigserial|money)\b",
        ),
        (Family.TEMPORAL, r"^(date|time)"),
        (Family.BOOLEAN, r"^bool"),
        (
            Family.TEXT,
            r"^(string|large_string|string_view|utf8|large_utf8|text|varchar|char|character"
            r"|bpchar|nvarchar|nchar|citext|name)\b",
        ),
    )
)


def of_type_name(name: str) -> Family:
    """The family of a type name, Arrow's or a warehouse's (``OTHER`` when unknown)."""
    for family, pattern in _NAMES:
        if pattern.search(name.strip()):
            return family
    return Family.OTHER


def of_arrow(data_type: pa.DataType) -> Family | None:
    """The family of an Arrow type; ``None`` where Arrow says nothing (the null type)."""
    types = pa.types
    if types.is_dictionary(data_type):
        return of_arrow(data_type.value_type)
    if types.is_null(data_type):
        return None
    if types.is_boolean(data_type):
        return Family.BOOLEAN
    if types.is_integer(data_type) or types.is_floating(data_type) or types.is_decimal(data_type):
        return Family.NUMERIC
    if types.is_date(data_type) or types.is_timestamp(data_type) or types.is_time(data_type):
        return Family.TEMPORAL
    if types.is_string(data_type) or types.is_large_string(data_type):
        return Family.TEXT
    return Family.OTHER


def of_field(field: pa.Field) -> Family:
    """A result column's family: from its Arrow type, else its warehouse type name."""
    found = of_arrow(field.type)
    if found is not None:
        return found
    raw = (field.metadata or {}).get(TYPE_METADATA_KEY)
    return of_type_name(raw.decode()) if raw else Family.OTHER
