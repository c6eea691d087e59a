"""What can go wrong with a chart, as typed errors the web layer's one table answers."""

from __future__ import annotations

from belvedere.store.runs import RunRecord


class ChartNotFound(LookupError):
    """No chart of that id that the user may reach (whether it exists or not)."""


class ChartInvalid(ValueError):
    """A chart that cannot be turned into a query (its message says why).

    ``hide_sql``: told to someone not shown the chart's SQL, so only the message's first
    line (warehouses and the SQL parser quote the statement after it)."""

    def __init__(self, message: str, *, hide_sql: bool = False) -> None:
        super().__init__(message)
        self.hide_sql = hide_sql


class MetricNotNumeric(ChartInvalid):
    """A sum or average of a column that holds no numbers (its message names the column)."""


class ChartFailed(Exception):
    """The chart's query ended without a result (failed, timed out, cancelled).

    ``hide_sql``: told to someone not shown the chart's SQL (no position in it either)."""

    def __init__(self, run: RunRecord, *, hide_sql: bool = False) -> None:
        super().__init__(run.error_message or run.status)
        self.run = run
        self.hide_sql = hide_sql


class NotDrawable(ValueError):
    """A chart drawn as a table, asked for as an image."""
