"""Audit records are the runs themselves (one per query, whatever its outcome): who a record
is audited as, how long it ran, and which records a filter selects (not the chart builder's
column probes unless asked: they are recorded, but are no one's query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from belvedere.store.runs import RunRecord

#: Command-line runs record the operating-system account behind them in the run's actor:
#: ``cli:<account>`` for the operator, ``<user> via cli:<account>`` for ``--as <user>``.
CLI_SURFACE = "cli"
CLI_PREFIX = "cli:"
VIA_CLI = " via cli:"


def cli_actor(os_account: str, user: str | None = None) -> str:
    """The actor a command-line run records: the OS account, and the user it runs as."""
    return f"{user}{VIA_CLI}{os_account}" if user else f"{CLI_PREFIX}{os_account}"


def who(run: RunRecord) -> tuple[str, str | None]:
    """The user a run is audited as, and the OS account behind it (command-line runs)."""
    if run.surface != CLI_SURFACE:
        return run.actor, None
    user, via, account = run.actor.partition(VIA_CLI)
    if via:
        return user, account
    return run.actor, run.actor.removeprefix(CLI_PREFIX)


def duration_ms(run: RunRecord) -> float | None:
    """How long a run ran, if it started and ended."""
    if run.started_at is None or run.finished_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds() * 1000


@dataclass(frozen=True)
class AuditFilter:
    """Which runs to read; every field narrows (``None``: any). ``user`` matches the runs of
    that user, also those run from the command line as them (``--as``)."""

    user: str | None = None
    connection: str | None = None
    status: str | None = None
    surface: str | None = None
    principal: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    """Part of the SQL."""
    probes: bool = False
    """Also the chart builder's column probes (``surface`` ``probe``, which alone selects
    them); without it, they are left out."""
