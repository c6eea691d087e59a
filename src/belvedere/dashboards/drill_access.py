"""Who may drill to detail: see the rows behind a chart's marks, every column of its source,
where the chart itself shows only aggregates.

Seeing a dashboard is not enough, for on a connection that runs as one shared account the
viewer would read through it more than they were shown. A viewer may drill a chart when

- they own it;
- its connection queries as each user (their own grant, an account impersonated for them), so
  the warehouse's own permissions decide what they read;
- they may run SQL (SQL Lab, where any connection is theirs to query): they could write that
  SELECT themselves;
- or its owner turned ``viewers_may_drill`` on.
"""

from __future__ import annotations

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission, can
from belvedere.connections.service import ConnectionService
from belvedere.store.charts import ChartRecord

#: Why a drill is refused (answered 403 ``drill_not_allowed``).
NOT_ALLOWED = (
    "You may not see the rows behind chart {name!r}: its connection queries as one shared "
    "account, so its rows would show you more than the chart does. Its owner may let viewers "
    'see them ("Let viewers see the rows behind it" in the chart\'s save dialog), or someone '
    "who may run SQL can look them up."
)


class DrillNotAllowed(PermissionError):
    """The viewer may see the chart but not the rows behind it."""


class DrillAccess:
    """The drill rule, for a chart seen by a viewer (blocking: may read the connection)."""

    def __init__(self, connections: ConnectionService) -> None:
        self._connections = connections

    def allows(self, chart: ChartRecord, viewer: Account) -> bool:
        """Whether ``viewer`` may drill ``chart`` (one they may already see)."""
        return (
            chart.owner_id == viewer.id
            or chart.viewers_may_drill
            or can(viewer.role, Permission.RUN_SQL)
            or self._connections.queries_as_each_user(chart.connection_name)
        )

    def check(self, chart: ChartRecord, viewer: Account) -> None:
        """Raise ``DrillNotAllowed`` unless ``viewer`` may drill ``chart``."""
        if not self.allows(chart, viewer):
            raise DrillNotAllowed(NOT_ALLOWED.format(name=chart.name))
