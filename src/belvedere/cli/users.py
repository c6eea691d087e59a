"""``belvedere users``: local accounts."""

from __future__ import annotations

import click

from belvedere.auth.roles import Role
from belvedere.environment import open_services
from belvedere.store.users import UserError


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.VIEWER.value,
    show_default=True,
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given.",
)
@click.option("--display-name", default="", help="Name shown in the interface.")
@click.option("--email", help="The user's email (their identity on per-user warehouses).")
def add(username: str, role: str, password: str, display_name: str, email: str | None) -> None:
    """Create a local account."""
    services = open_services()
    try:
        services.users.create(username, Role(role), password, display_name, email=email)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        services.close()
    click.echo(f"Created {role} {username!r}.")


@users.command("list")
def list_() -> None:
    """List accounts."""
    services = open_services()
    try:
        for user in services.users.list():
            state = "" if user.is_active else "\t(inactive)"
            click.echo(f"{user.username}\t{user.role}{state}")
    finally:
        services.close()


@users.command("set-password")
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given.",
)
def set_password(username: str, password: str) -> None:
    """Set a user's password (their sessions end)."""
    services = open_services()
    try:
        user = services.users.by_username(username)
        if user is None:
            raise click.ClickException(f"no user named {username!r}")
        try:
            services.users.update(user.id, password=password)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        services.sessions.end_all_for(user.id)
    finally:
        services.close()
    click.echo(f"Password of {username!r} changed.")


@users.command("unlock")
@click.argument("username")
@click.option(
    "--address",
    "addresses",
    multiple=True,
    help="Also end the refusal of this client address (repeatable; see `users locked`).",
)
@click.option(
    "--trust",
    "trusted",
    multiple=True,
    help="Let this client address sign in to the account even while others' failures keep "
    "it refused (repeatable; for 30 days from its last sign-in).",
)
def unlock(username: str, addresses: tuple[str, ...], trusted: tuple[str, ...]) -> None:
    """End a sign-in refusal after failed passwords: the account's failures are forgotten.

    Someone who keeps guessing refuses the account again after a few failures; `--trust` an
    address you sign in from, and it gets in whatever others do."""
    services = open_services()
    try:
        cleared = services.throttle.unlock(username, addresses)
        for address in trusted:
            services.throttle.trust(username, address)
    finally:
        services.close()
    for address in trusted:
        click.echo(f"{address} may sign in to {username!r} despite others' failures.")
    if cleared:
        click.echo(f"Unlocked {username!r}: sign-in failures forgotten.")
    else:
        click.echo(f"{username!r} had no failed sign-ins to forget.")


@users.command("locked")
def locked() -> None:
    """List accounts and client addresses refused sign-in now, and until when."""
    services = open_services()
    try:
        refusals = services.throttle.refusals()
    finally:
        services.close()
    if not refusals:
        click.echo("No sign-in is refused now.")
    for refusal in refusals:
        until = refusal.until.strftime("%Y-%m-%d %H:%M:%S UTC")
        click.echo(f"{refusal.kind}\t{refusal.name}\t{refusal.failures} failures\tuntil {until}")
