"""The schema browser: a connection's catalog (its outline at once, columns as they land), one
table's columns, search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission
from belvedere.catalog.model import Catalog, ColumnsState
from belvedere.web.api.schemas import (
    CatalogOut,
    ErrorOut,
    MatchOut,
    SchemaOut,
    SearchOut,
    TableOut,
    TableSummaryOut,
)
from belvedere.web.deps import ServicesDep, actor, require
from belvedere.web.errors import ApiError

router = APIRouter(
    prefix="/connections/{name}/catalog",
    tags=["catalog"],
    responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
Analyst = Annotated[Account, Depends(require(Permission.RUN_SQL))]


@router.get("", response_model=CatalogOut)
async def catalog(
    name: str,
    user: Analyst,
    services: ServicesDep,
    refresh: bool = False,
    columns: Annotated[bool, Query(description="Include every table's columns.")] = False,
    prioritize: Annotated[
        list[str] | None,
        Query(
            description="Schemas whose columns to load next, the first first (repeat the "
            "parameter): those the user opened or searched in."
        ),
    ] = None,
) -> CatalogOut:
    """Schemas and their tables, answered as soon as they are listed; each schema's columns
    fill in as its bulk load lands (`columns` per schema; `complete` once all have): ask
    again until `complete`. Cached once complete; `refresh=true` reloads. A schema that
    cannot be read carries its `error`; the others are unaffected."""
    loaded = await services.catalog.get(
        name, actor(user), refresh=refresh, prioritize=prioritize or ()
    )
    # Tens of thousands of tables take a while to describe: not on the event loop.
    return await services.pools.cpu.run(_describe, loaded, columns)


def _describe(loaded: Catalog, columns: bool) -> CatalogOut:
    schemas = []
    for entry in loaded.entries:
        known = entry.state is ColumnsState.LOADED
        schemas.append(
            SchemaOut(
                name=entry.name,
                error=entry.info.error,
                columns=entry.state,
                tables=[TableSummaryOut.of(t, columns, known) for t in entry.info.tables],
            )
        )
    return CatalogOut(
        connection=loaded.connection,
        loaded_at=loaded.loaded_at,
        load_ms=loaded.load_seconds * 1000,
        table_count=loaded.table_count,
        complete=loaded.complete,
        schemas=schemas,
    )


@router.get("/tables/{schema}/{table}", response_model=TableOut)
async def table(
    name: str, schema: str, table: str, user: Analyst, services: ServicesDep
) -> TableOut:
    """One table with its columns and nested fields; if its schema's columns are still
    loading, they load next and the answer waits for them."""
    found = await services.catalog.table(name, actor(user), schema, table)
    if found is None:
        raise ApiError(404, "table_not_found", f"No table {schema}.{table} in {name}'s catalog.")
    summary = TableSummaryOut.of(found, with_columns=True)
    return TableOut(schema=found.schema, **summary.model_dump())


@router.get("/search", response_model=SearchOut)
async def search(
    name: str,
    user: Analyst,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SearchOut:
    """Tables and columns (nested fields too) whose name contains `q`, best matches first.
    `loading` names the schemas whose columns are not loaded yet (their tables are
    searched, their columns not); those with matching tables load next."""
    matches, loading = await services.catalog.search(name, actor(user), q, limit)
    return SearchOut(
        matches=[
            MatchOut(schema=m.schema, table=m.table, kind=m.kind, column=m.column, type=m.type)
            for m in matches
        ],
        loading=loading,
    )
