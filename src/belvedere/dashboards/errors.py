"""What the dashboard rules refuse, as typed errors the web layer's one table answers."""

from __future__ import annotations


class DashboardNotFound(LookupError):
    """No dashboard of that id that the user may see (whether it exists or not)."""

    def __init__(self, dashboard_id: int) -> None:
        super().__init__(f"No dashboard {dashboard_id}.")


class NotEditor(PermissionError):
    """The user may view the dashboard, not change it."""

    def __init__(self) -> None:
        super().__init__("You may view this dashboard, not change it.")


class NotDashboardOwner(PermissionError):
    """Only the dashboard's owner may do this (delete it, share it)."""


class NotBuilder(PermissionError):
    """Only a chart builder adds a filter on a new column."""


class FilterNotDeclared(PermissionError):
    """A filter on a column the dashboard's own filters do not declare."""

    def __init__(self, column: str) -> None:
        super().__init__(
            f"This dashboard has no filter on {column!r}: you may filter only on the "
            "dashboard's own filters."
        )


class UnknownUser(LookupError):
    """A share names no user."""


class UnknownColumn(LookupError):
    """No chart of the dashboard has the column asked for."""


class ColumnRequired(ValueError):
    """Filter values were asked for without naming the column."""


class RefreshOverBudget(ValueError):
    """An auto-refresh interval whose charts would bill more in a day than the budget left of
    whoever sets it; answered 422 on ``refresh_seconds``, with the arithmetic."""

    field = "refresh_seconds"
