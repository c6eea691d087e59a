"""The cost guard: before a query on a connection billed by bytes starts its job, its dry-run
estimate is held to the cap and budgets of whoever pays for it (its user, or the user it is
charged to: see :mod:`belvedere.store.payer`; a one-off raise of theirs lets one query past
them); what passes reserves its estimate against the budgets until it ends. The execution
worker calls it for every surface (blocking)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from belvedere.audit.events import AuditAction, EventDraft, ObjectKind
from belvedere.costs.model import SCHEDULE_OWNERS, YOUR, Allowance, Budget, Raise
from belvedere.costs.policy import CostPolicy, pool_of
from belvedere.execution.runs import Actor
from belvedere.units import human_bytes
from belvedere.warehouses.base import CostEstimator, Params, QueryContext, Warehouse
from belvedere.warehouses.errors import ErrorKind, WarehouseError

log = logging.getLogger(__name__)

NO_JOB = "No job was started. An admin can grant a one-off raise."
PAYER_GONE = (
    "This query is charged to a user who is no longer active, so nobody's budget may pay "
    "for it. No job was started."
)


@dataclass(frozen=True)
class Cleared:
    """A query the guard let through: the byte cap its job gets (``None``: the connection's
    own), and its estimate (``None``: no dry run was needed)."""

    max_bytes_billed: int | None
    estimate: int | None


class CostGuard:
    """Holds queries to their allowance (see :mod:`belvedere.costs`)."""

    def __init__(self, policy: CostPolicy) -> None:
        self._policy = policy
        self._store = policy.store

    def check(
        self,
        warehouse: Warehouse,
        run_id: str,
        actor: Actor,
        connection: str,
        sql: str,
        params: Params,
        context: QueryContext,
        recorded: dict[str, Any],
        charged_to: int | None = None,
    ) -> Cleared:
        """Clear a query of ``actor``'s, charged to them or to the user ``charged_to`` (only
        schedules run as each recipient charge another: their owner), or raise
        ``WarehouseError`` (``byte_cap_exceeded`` or ``budget_exceeded``) before any job
        starts; the estimate goes in ``recorded``."""
        if not isinstance(warehouse, CostEstimator):
            return Cleared(None, None)
        whose = YOUR
        if charged_to is not None and charged_to != actor.user_id:
            payer = self._policy.payer(charged_to)
            if payer is None:
                raise WarehouseError(ErrorKind.BUDGET, PAYER_GONE)
            actor, whose = payer, SCHEDULE_OWNERS
        allowance = self._policy.allowance(
            actor, connection, bills_bytes=True, connection_cap=warehouse.byte_cap(), whose=whose
        )
        if not allowance.applies:
            return Cleared(None, None)  # nothing limits it: one query stays one job
        estimate = warehouse.estimate(sql, params, replace(context, max_bytes_billed=None))
        recorded["bytes_estimated"] = estimate
        refusal = refuse(allowance, estimate)
        if refusal is None:
            pools = [pool_of(b, self._policy.members(b)) for b in allowance.budgets]
            spent = self._store.reserve(run_id, connection, estimate, pools)
            if spent is None:
                return Cleared(_job_cap(allowance.limit), estimate)
            # Others reserved meanwhile: held to what is left now.
            now_left = tuple(
                replace(b, spent=s) for b, s in zip(allowance.budgets, spent, strict=True)
            )
            allowance = replace(allowance, budgets=now_left)
            refusal = refuse(allowance, estimate) or _budget_error(
                allowance.tightest, estimate, allowance
            )
        used = self._use_raise(allowance.raise_, run_id, actor, connection, estimate)
        if used is None:
            raise refusal
        return Cleared(used.max_bytes, estimate)

    def _use_raise(
        self, found: Raise | None, run_id: str, actor: Actor, connection: str, estimate: int
    ) -> Raise | None:
        """Use a one-off raise that covers the estimate (once: a compare-and-set, audited),
        and reserve the estimate; the raise, or ``None``."""
        if found is None or estimate > found.max_bytes:
            return None
        event = EventDraft(
            AuditAction.COST_RAISE_USED,
            ObjectKind.COST_RAISE,
            str(found.id),
            actor.user_id,
            {"run_id": run_id, "connection": connection, "estimate": estimate},
        )
        if not self._store.use_raise(found.id, run_id, event):
            return None  # another query used it first
        self._store.reserve(run_id, connection, estimate, [])
        log.info("run %s used one-off raise %s (%d bytes)", run_id, found.id, estimate)
        return found


def _job_cap(limit: int | None) -> int | None:
    """The job's ``maximum_bytes_billed``: never 0, which BigQuery reads as no cap."""
    return None if limit is None else max(limit, 1)


def refuse(allowance: Allowance, estimate: int) -> WarehouseError | None:
    """Why a query estimated at ``estimate`` bytes may not run (``None``: it may), ignoring
    raises: beyond the cap first, then beyond the least left of a budget."""
    if allowance.cap is not None and estimate > allowance.cap:
        return WarehouseError(
            ErrorKind.BYTE_CAP,
            f"This query would process {human_bytes(estimate)}, more than the "
            f"{human_bytes(allowance.cap)} allowed per query on {allowance.connection} "
            f"({cap_source(allowance.cap_from, allowance.whose)}). {NO_JOB}",
        )
    tightest = allowance.tightest
    if tightest is not None and estimate > tightest.left:
        return _budget_error(tightest, estimate, allowance)
    return None


def _budget_error(budget: Budget | None, estimate: int, allowance: Allowance) -> WarehouseError:
    if budget is None:  # unreachable: a refused reservation has a budget
        return WarehouseError(ErrorKind.BUDGET, f"Over budget. {NO_JOB}")
    return WarehouseError(ErrorKind.BUDGET, budget_message(budget, estimate, allowance.connection))


def budget_message(budget: Budget, estimate: int, connection: str) -> str:
    """``This query would process 300.0 GB, more than the 120.0 GB left of your daily budget
    of 1.0 TB on bq (it resets at 00:00 on 8 Dec 2026, Europe/Paris). No job was started. An
    admin can grant a one-off raise.``"""
    return (
        f"This query would process {human_bytes(estimate)}, more than the "
        f"{human_bytes(budget.left)} left of {budget.describe()} on {connection} "
        f"(it resets at {budget.resets}). {NO_JOB}"
    )


def cap_source(cap_from: str | None, whose: str = YOUR) -> str:
    """Where a cap comes from, for a message: ``your own cap``, ``the cap of group
    analysts``, ``the cap of role viewer``, ``the connection's cap``; for a query charged
    to another (``whose``: ``the schedule owner's``), ``the schedule owner's own cap``,
    ``the cap of role viewer, the schedule owner's role``."""
    if cap_from in (None, "the connection"):
        return "the connection's cap"
    if cap_from.endswith(" own cap"):
        return cap_from
    if whose == YOUR:
        return f"the cap of {cap_from}"
    return f"the cap of {cap_from}, {whose} {cap_from.split(' ', 1)[0]}"
