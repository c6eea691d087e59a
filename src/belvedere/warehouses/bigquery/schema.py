"""BigQuery schemas as Belvedere's column trees: from the API's SchemaField, from the type
strings of INFORMATION_SCHEMA (parsed with SQLGlot), and as Arrow type metadata."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import sqlglot
from google.cloud.bigquery import SchemaField
from sqlglot import exp

from belvedere.warehouses.base import TYPE_METADATA_KEY, ColumnInfo

REPEATED = "REPEATED"

#: Legacy type names of the REST API -> the names of GoogleSQL.
STANDARD_NAMES = {
    "INTEGER": "INT64",
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    "RECORD": "STRUCT",
}


def field_type(field: SchemaField) -> str:
    """GoogleSQL spelling of a field's type, e.g. ``ARRAY<STRUCT<a INT64>>``."""
    base = STANDARD_NAMES.get(field.field_type, field.field_type)
    if base == "STRUCT":
        base = "STRUCT<" + ", ".join(f"{f.name} {field_type(f)}" for f in field.fields) + ">"
    return f"ARRAY<{base}>" if field.mode == REPEATED else base


def columns_of_fields(fields: Sequence[SchemaField]) -> tuple[ColumnInfo, ...]:
    """Column trees from a table's schema (as ``tables.get`` returns it)."""
    return tuple(
        ColumnInfo(
            name=f.name,
            type=field_type(f),
            nullable=f.mode != "REQUIRED",
            description=f.description or "",
            mode=REPEATED if f.mode == REPEATED else "",
            fields=columns_of_fields(f.fields),
        )
        for f in fields
    )


def column_of_type(
    name: str,
    data_type: str,
    *,
    nullable: bool = True,
    partitioning: bool = False,
    clustering: int | None = None,
) -> ColumnInfo:
    """A column tree from an INFORMATION_SCHEMA ``data_type`` such as ``STRUCT<a STRING>``."""
    try:
        parsed = exp.DataType.build(data_type, dialect="bigquery")
    except (sqlglot.errors.ParseError, ValueError):
        parsed = None
    mode = ""
    fields: tuple[ColumnInfo, ...] = ()
    if parsed is not None:
        inner = parsed
        if parsed.is_type(exp.DataType.Type.ARRAY) and parsed.expressions:
            mode, inner = REPEATED, parsed.expressions[0]
        if inner.is_type(exp.DataType.Type.STRUCT):
            fields = tuple(_struct_field(e) for e in inner.expressions)
    return ColumnInfo(
        name=name,
        type=data_type,
        nullable=nullable,
        mode=mode,
        fields=fields,
        partitioning=partitioning,
        clustering=clustering,
    )


def _struct_field(member: exp.Expression) -> ColumnInfo:
    if isinstance(member, exp.ColumnDef) and isinstance(member.args.get("kind"), exp.DataType):
        kind = member.args["kind"]
        return column_of_type(member.name, kind.sql(dialect="bigquery"))
    return ColumnInfo(name=member.name or "?", type=member.sql(dialect="bigquery"))


def with_type_metadata(schema: pa.Schema, fields: Sequence[SchemaField]) -> pa.Schema:
    """An Arrow schema whose fields carry BigQuery's type names (for the results grid)."""
    names = {f.name: field_type(f) for f in fields}
    return pa.schema(
        [
            f.with_metadata({TYPE_METADATA_KEY: names[f.name]}) if f.name in names else f
            for f in schema
        ]
    )
