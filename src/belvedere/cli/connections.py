"""``belvedere connections``: add, list, test and remove warehouse connections."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from belvedere.connections.service import ConnectionInvalid, ConnectionNotFound, secret_fields
from belvedere.connections.testing import check_blocking
from belvedere.environment import open_services
from belvedere.warehouses.registry import BACKENDS, backend_class


@click.group()
def connections() -> None:
    """Manage warehouse connections."""


def _parse_options(pairs: tuple[str, ...], options_json: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if options_json:
        try:
            options.update(json.loads(options_json))
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--options-json") from None
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


@connections.command("add")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(sorted(BACKENDS)), help="Backend.")
@click.option(
    "-o",
    "--option",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option (repeatable); values are JSON when they parse as JSON.",
)
@click.option("--options-json", help="All options as one JSON object.")
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="KEY",
    help="Prompt for a secret option without echoing it (repeatable).",
)
@click.option(
    "--secret-file",
    "secret_files",
    multiple=True,
    metavar="KEY=PATH",
    help="Read a secret option from a file, e.g. service_account_key=key.json (repeatable).",
)
@click.option("--timeout", type=float, help="Deadline override in seconds.")
@click.option("--test/--no-test", default=True, show_default=True, help="Test it after adding.")
def add(
    name: str,
    kind: str,
    pairs: tuple[str, ...],
    options_json: str | None,
    secrets: tuple[str, ...],
    secret_files: tuple[str, ...],
    timeout: float | None,
    test: bool,
) -> None:
    """Add connection NAME.

    \b
    Examples:
      --kind postgres -o host=db -o database=shop -o user=me --secret password
      --kind bigquery -o project=acme-data -o auth=service_account_key
          --secret-file service_account_key=key.json -o maximum_bytes_billed=100000000000
    """
    options = _parse_options(pairs, options_json)
    allowed = secret_fields(backend_class(kind).options_model)
    for key in secrets:
        if key not in allowed:
            raise click.BadParameter(f"{kind} has no secret option {key!r}", param_hint="--secret")
        options[key] = click.prompt(key, hide_input=True)
    for pair in secret_files:
        key, _, path = pair.partition("=")
        if key not in allowed or not path:
            raise click.BadParameter(
                f"expected KEY=PATH with KEY one of {sorted(allowed)}", param_hint="--secret-file"
            )
        try:
            options[key] = Path(path).read_text()
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {path}: {exc.strerror}", param_hint="--secret-file"
            ) from None
    services = open_services()
    try:
        try:
            services.connections.add(name, kind, options, timeout)
        except ConnectionInvalid as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Added connection {name!r} ({kind}).")
        if test:
            _report(services.connections.warehouse(name), name)
    finally:
        services.close()


@connections.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(as_json: bool) -> None:
    """List connections (secrets are never shown)."""
    services = open_services()
    try:
        views = services.connections.list()
    finally:
        services.close()
    if as_json:
        click.echo(json.dumps([vars(v) for v in views], indent=2, default=list))
        return
    for v in views:
        shown = ", ".join(f"{k}={val}" for k, val in v.options.items() if val is not None)
        secrets = f" [secrets: {', '.join(v.secrets_set)}]" if v.secrets_set else ""
        click.echo(f"{v.name}\t{v.kind}\t{shown}{secrets}")


def _report(warehouse: Any, name: str) -> None:
    outcome = check_blocking(warehouse)
    if not outcome.ok:
        raise click.ClickException(f"{name}: {outcome.message}")
    click.echo(f"{name}: OK ({outcome.elapsed_ms:.0f} ms)")


@connections.command("test")
@click.argument("name")
def test_(name: str) -> None:
    """Check that connection NAME answers."""
    services = open_services()
    try:
        try:
            warehouse = services.connections.warehouse(name)
        except ConnectionNotFound as exc:
            raise click.ClickException(str(exc)) from None
        _report(warehouse, name)
    finally:
        services.close()


@connections.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove(name: str, yes: bool) -> None:
    """Remove connection NAME (its query history stays)."""
    if not yes:
        click.confirm(f"Remove connection {name!r}?", abort=True)
    services = open_services()
    try:
        try:
            services.connections.remove(name)
        except ConnectionNotFound as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Removed connection {name!r}.")
    finally:
        services.close()
