"""Cost rules (caps per query, daily and monthly budgets) of the connections billed by bytes,
and one-off raises: admins set and grant them (each change audited); users see their own
raises."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission, can
from belvedere.costs.rules_admin import Limits, bills_by_bytes
from belvedere.services import Services
from belvedere.store.ids import RowId
from belvedere.web.api.cost_schemas import (
    CostConnectionOut,
    RaiseIn,
    RaiseOut,
    RuleIn,
    RuleOut,
    RulePatch,
)
from belvedere.web.api.schemas import ErrorOut
from belvedere.web.deps import CurrentUser, ServicesDep, require

router = APIRouter(tags=["costs"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}})
Admin = Annotated[Account, Depends(require(Permission.MANAGE_CONNECTIONS))]
NOT_BILLED = "not billed by bytes: caps and budgets do not apply"


def _names(services: Services) -> dict[int, str]:
    return {u.id: u.username for u in services.users.list()}


@router.get("/cost-rules/connections", response_model=list[CostConnectionOut])
async def connections(_: Admin, services: ServicesDep) -> list[CostConnectionOut]:
    """Every connection, and whether caps and budgets apply to it (billed by bytes)."""
    views = await services.pools.io.run(services.connections.list)
    found = []
    for view in views:
        billed = await services.pools.io.run(bills_by_bytes, view.kind)
        cap = view.options.get("maximum_bytes_billed") if billed else None
        found.append(
            CostConnectionOut(
                name=view.name,
                kind=view.kind,
                bills_bytes=billed,
                cap=int(cap) if cap else None,
                note=None if billed else NOT_BILLED,
            )
        )
    return found


@router.get("/cost-rules", response_model=list[RuleOut])
async def rules(
    _: Admin,
    services: ServicesDep,
    connection: Annotated[str | None, Query(max_length=100)] = None,
) -> list[RuleOut]:
    """The cost rules (of one connection), by connection, scope and subject."""

    def read() -> list[RuleOut]:
        names = _names(services)
        return [RuleOut.of(r, names) for r in services.cost_store.rules(connection)]

    return await services.pools.io.run(read)


@router.post(
    "/cost-rules",
    response_model=RuleOut,
    status_code=201,
    responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def set_rule(body: RuleIn, admin: Admin, services: ServicesDep) -> RuleOut:
    """Set the rule of a role, a group or a user on a connection billed by bytes (created,
    or changed if it has one): a cap per query, a daily and a monthly budget. The most
    specific cap wins (user, then group, then role, then the connection's own); every budget
    that applies holds. Audited."""
    limits = Limits(body.max_bytes_per_query, body.daily_bytes, body.monthly_bytes)

    def write() -> RuleOut:
        rule = services.cost_admin.set_rule(
            admin.id, body.connection, body.scope, body.subject, limits
        )
        return RuleOut.of(rule, _names(services))

    return await services.pools.io.run(write)


@router.patch(
    "/cost-rules/{rule_id}",
    response_model=RuleOut,
    responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def change_rule(
    rule_id: RowId, body: RulePatch, admin: Admin, services: ServicesDep
) -> RuleOut:
    """Change a rule's limits (null lifts one). Audited."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}

    def write() -> RuleOut:
        rule = services.cost_admin.change_rule(admin.id, rule_id, changes)
        return RuleOut.of(rule, _names(services))

    return await services.pools.io.run(write)


@router.delete("/cost-rules/{rule_id}", status_code=204, responses={404: {"model": ErrorOut}})
async def delete_rule(rule_id: RowId, admin: Admin, services: ServicesDep) -> Response:
    """Delete a rule. Audited."""
    await services.pools.io.run(services.cost_admin.delete_rule, admin.id, rule_id)
    return Response(status_code=204)


@router.get("/cost-raises", response_model=list[RaiseOut])
async def raises(
    user: CurrentUser,
    services: ServicesDep,
    connection: Annotated[str | None, Query(max_length=100)] = None,
) -> list[RaiseOut]:
    """One-off raises, newest first: everyone's for admins, your own otherwise."""
    everyone = can(user.role, Permission.MANAGE_CONNECTIONS)

    def read() -> list[RaiseOut]:
        names, now = _names(services), datetime.now(UTC)
        found = services.cost_store.raises(
            user_id=None if everyone else user.id, connection=connection
        )
        return [RaiseOut.of(r, names, now) for r in found]

    return await services.pools.io.run(read)


@router.post(
    "/cost-raises",
    response_model=RaiseOut,
    status_code=201,
    responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
async def grant(body: RaiseIn, admin: Admin, services: ServicesDep) -> RaiseOut:
    """Grant a user one query on a connection of up to `max_bytes`, beyond their cap and
    budgets: their next query there that would be refused, and whose estimate is within it,
    uses it. It lapses unused after `expires_in_hours`. Audited (granted, used, revoked)."""

    def write() -> RaiseOut:
        now = datetime.now(UTC)
        granted = services.cost_admin.grant(
            admin.id,
            body.user,
            body.connection,
            body.max_bytes,
            body.reason,
            body.expires_in_hours,
            now,
        )
        return RaiseOut.of(granted, _names(services), now)

    return await services.pools.io.run(write)


@router.delete(
    "/cost-raises/{raise_id}", response_model=RaiseOut, responses={404: {"model": ErrorOut}}
)
async def revoke(raise_id: RowId, admin: Admin, services: ServicesDep) -> RaiseOut:
    """Revoke a raise not used yet (a used one stays as it was). Audited."""

    def write() -> RaiseOut:
        revoked = services.cost_admin.revoke(admin.id, raise_id)
        return RaiseOut.of(revoked, _names(services), datetime.now(UTC))

    return await services.pools.io.run(write)
