"""The ``belvedere`` command line: serve, worker, query, connections, users, doctor, version."""

from __future__ import annotations

import click

from belvedere import __version__
from belvedere.cli.connections import connections
from belvedere.cli.doctor import doctor
from belvedere.cli.query import query
from belvedere.cli.serve import serve
from belvedere.cli.users import users
from belvedere.cli.worker import worker
from belvedere.settings import settings_markdown


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="belvedere")
def cli() -> None:
    """Belvedere: query warehouses under your own permissions.

    Settings come from BELVEDERE_* environment variables (`belvedere settings`).
    """


@cli.command()
def version() -> None:
    """Print Belvedere's version."""
    click.echo(__version__)


@cli.command()
def settings() -> None:
    """Print the table of settings (BELVEDERE_* environment variables)."""
    click.echo(settings_markdown(), nl=False)


for command in (serve, worker, query, connections, users, doctor):
    cli.add_command(command)


def main() -> None:
    """Entry point of the console script."""
    cli()
