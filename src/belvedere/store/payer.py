"""Who pays for a run: whoever asked for it. That is its user, but for a schedule run as each
recipient, which its owner asked for (``query_runs.charged_to``). Budgets, spend and the
Spend page count a run for its payer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_

from belvedere.store.models import QueryRun

#: The id of the user a run is charged to (``None``: a command-line run).
PAYER: ColumnElement[Any] = func.coalesce(QueryRun.charged_to, QueryRun.user_id)


def paid_by(user_ids: Sequence[int]) -> ColumnElement[bool]:
    """Runs charged to one of ``user_ids`` (written so that the indexes on ``user_id`` and on
    ``charged_to`` serve it)."""
    ids = list(user_ids)
    return or_(
        and_(QueryRun.charged_to.is_(None), QueryRun.user_id.in_(ids)),
        QueryRun.charged_to.in_(ids),
    )
