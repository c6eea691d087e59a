"""The runs that count as spend, as one selectable: each run with its payer (see
:mod:`belvedere.store.payer`) and their name, but those of the built-in connection (reading
one's records bills nothing). The Spend page's sums (:mod:`belvedere.store.spend`) and the
built-in connection's rows (:mod:`belvedere.warehouses.internal.spend`) both read it."""

from __future__ import annotations

from sqlalchemy import Subquery, func, or_, select
from sqlalchemy.orm import aliased

from belvedere.execution.runs import Surface
from belvedere.store.models import QueryRun, User
from belvedere.store.payer import PAYER, paid_by

__all__ = ["INTERNAL_CONNECTION", "spend_runs"]

#: The built-in connection's name: reserved, never stored.
INTERNAL_CONNECTION = "belvedere"

_PAYER_ROW = aliased(User, name="payer")
PROBE = Surface.PROBE.value


def spend_runs(user_id: int | None = None) -> Subquery:
    """The runs that count as spend (charged to ``user_id`` if given), with the columns
    ``run_id``, ``submitted_at``, ``user_id`` (the payer's id), ``user`` (the payer's current
    name, else what the run recorded: the command line's operator), ``connection``,
    ``surface``, ``chart_id``, ``dashboard_id``, ``status``, ``sql``, ``bytes_processed`` and
    ``bytes_billed``."""
    query = (
        select(
            QueryRun.id.label("run_id"),
            QueryRun.submitted_at.label("submitted_at"),
            PAYER.label("user_id"),
            func.coalesce(_PAYER_ROW.username, QueryRun.actor).label("user"),
            QueryRun.connection_name.label("connection"),
            QueryRun.surface.label("surface"),
            QueryRun.chart_id.label("chart_id"),
            QueryRun.dashboard_id.label("dashboard_id"),
            QueryRun.status.label("status"),
            QueryRun.sql.label("sql"),
            QueryRun.bytes_processed.label("bytes_processed"),
            QueryRun.bytes_billed.label("bytes_billed"),
        )
        .outerjoin(_PAYER_ROW, _PAYER_ROW.id == PAYER)
        .where(QueryRun.connection_name != INTERNAL_CONNECTION)
        # The chart builder learning a source's columns is no one's query, unless it billed.
        .where(or_(QueryRun.surface != PROBE, func.coalesce(QueryRun.bytes_billed, 0) > 0))
    )
    if user_id is not None:
        query = query.where(paid_by([user_id]))
    return query.subquery("spend_runs")
