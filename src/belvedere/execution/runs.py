"""What a run is: its states, the surfaces that start it, who asked."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from belvedere.auth.account import Account


class RunStatus(StrEnum):
    """The state of a run. Terminal states never change."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def is_terminal(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


def timed_out_message(timeout: float) -> str:
    """What a run ended at its deadline of ``timeout`` seconds says, wherever it ran."""
    return f"The query did not finish within its {timeout:g} s deadline and was stopped."


class Surface(StrEnum):
    """Where a run was started."""

    SQLLAB = "sqllab"
    API = "api"
    CLI = "cli"
    CHART = "chart"
    DASHBOARD = "dashboard"
    SCHEDULE = "schedule"
    DRILL = "drill"
    """The rows behind a chart's mark on a dashboard."""
    PROBE = "probe"
    """The chart builder learning a source's columns (a ``LIMIT 0`` run), not a user's query:
    left out of the audit list, history and spend unless asked for (or it billed)."""


@dataclass(frozen=True)
class Actor:
    """Who runs a query: a user, or the command line acting as the machine's operator."""

    user_id: int | None
    name: str
    role: str
    email: str | None = None
    groups: tuple[str, ...] = ()

    @classmethod
    def of(cls, user: Account) -> Actor:
        """The execution service's view of a user."""
        return cls(
            user_id=user.id,
            name=user.username,
            role=user.role,
            email=user.email,
            groups=tuple(user.groups or ()),
        )
