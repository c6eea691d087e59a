"""``belvedere query``: run SQL on a connection through the execution service."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace

import click

from belvedere.audit.records import cli_actor
from belvedere.cli.context import os_account
from belvedere.cli.output import format_table
from belvedere.environment import open_services
from belvedere.execution.formats import csv_chunks, json_chunks, table_rows, type_name
from belvedere.execution.requests import QueryRequest
from belvedere.execution.runs import Actor, RunStatus, Surface
from belvedere.identity.service import AuthorizationRequired
from belvedere.services import Services
from belvedere.store.runs import RunRecord

TABLE_ROWS = 1000


async def _run(services: Services, request: QueryRequest) -> RunRecord:
    execution = services.execution
    try:
        run = await execution.submit(request)
        return await execution.wait(run.id, request.actor, timeout=float("inf"))
    finally:
        await execution.close()


@click.command()
@click.option("-c", "--connection", required=True, help="Connection name, e.g. demo.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table: the first rows, aligned; csv and json: every row (export row cap).",
)
@click.option("--timeout", type=float, help="Deadline in seconds (at most the connection's).")
@click.option("--max-rows", type=int, help="Row cap (at most the configured cap).")
@click.option(
    "--as",
    "as_user",
    metavar="USER",
    help="Run as this user, with their identity on the warehouse (their own grant, or the "
    "service account they impersonate), recorded in their history; the audit log also "
    "records the operating-system account that ran the command.",
)
@click.argument("sql")
def query(
    connection: str,
    fmt: str,
    timeout: float | None,
    max_rows: int | None,
    as_user: str | None,
    sql: str,
) -> None:
    """Run SQL on a connection and print the result.

    Use "-" as SQL to read it from standard input.
    """
    if sql == "-":
        sql = sys.stdin.read()
    services = open_services()
    try:
        if not services.connections.exists(connection):
            raise click.ClickException(
                f"no connection named {connection!r} (see: belvedere connections list)"
            )
        request = QueryRequest(
            connection=connection,
            sql=sql,
            actor=_actor(services, as_user),
            surface=Surface.CLI,
            timeout_seconds=timeout,
            max_rows=max_rows,
            export=fmt != "table",
        )
        try:
            run = asyncio.run(_run(services, request))
        except (ValueError, AuthorizationRequired) as exc:
            raise click.ClickException(str(exc)) from None
        if run.status != RunStatus.SUCCEEDED:
            where = f" (line {run.error_line}, column {run.error_column})" if run.error_line else ""
            raise click.ClickException(f"{run.status}: {run.error_message}{where}")
        _print(services, run, fmt)
    finally:
        services.close()


def _actor(services: Services, as_user: str | None) -> Actor:
    """The machine's operator, or the user named by ``--as``; either way the audit log
    records the operating-system account that ran the command."""
    if as_user is None:
        return Actor(user_id=None, name=cli_actor(os_account()), role="admin")
    user = services.users.by_username(as_user)
    if user is None or not user.is_active:
        raise click.ClickException(f"no active user named {as_user!r}")
    return replace(Actor.of(user), name=cli_actor(os_account(), user.username))


def _print(services: Services, run: RunRecord, fmt: str) -> None:
    store = services.execution.results
    out = sys.stdout.buffer
    if fmt == "csv":
        for chunk in csv_chunks(store.schema(run.id), store.batches(run.id)):
            out.write(chunk)
    elif fmt == "json":
        for chunk in json_chunks(store.batches(run.id)):
            out.write(chunk)
    else:
        page = store.page(run.id, 0, TABLE_ROWS)
        click.echo(
            format_table(
                [f.name for f in page.schema],
                [type_name(f) for f in page.schema],
                table_rows(page.rows),
            )
        )
        shown = min(page.total_rows, TABLE_ROWS)
        note = f"{page.total_rows} row{'s' if page.total_rows != 1 else ''}"
        if shown < page.total_rows:
            note += f", first {shown} shown (use --format csv for all)"
        if run.truncated:
            note += f"; truncated at the {run.max_rows}-row cap"
        click.echo(note, err=True)
    out.flush()
