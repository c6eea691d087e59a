"""Spend (what the runs billed), the runs that billed the most, where budgets stand, and the
budget notices: admins see everyone's, other users their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission, can
from belvedere.costs.accounting import Dimension, SpendInvalid, SpendRequest, dimensions
from belvedere.costs.periods import zone_of
from belvedere.filenames import content_disposition
from belvedere.services import Services
from belvedere.store.spend import RunFilter
from belvedere.web.api.cost_schemas import BudgetOut, NoticeOut, SpendOut, SpendRowOut, TopRunOut
from belvedere.web.api.schemas import ErrorOut, Instant
from belvedere.web.deps import CurrentUser, ServicesDep, actor
from belvedere.web.errors import ApiError

router = APIRouter(tags=["spend"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}})
MAX_TOP = 100


def sees_everyone(user: Account) -> bool:
    """Whether ``user`` sees everyone's spend and budgets (admins), or only their own."""
    return can(user.role, Permission.VIEW_AUDIT)


def zone_for(services: Services, user: Account) -> ZoneInfo:
    """The asker's time zone (their own, else the server's)."""
    return zone_of(user.timezone, services.costs.server_zone.key)


@dataclass(frozen=True)
class Asked:
    """The range and filters of a spend request, resolved for the asker."""

    since: datetime
    until: datetime
    zone: ZoneInfo
    user_id: int | None
    connection: str | None


async def asked(
    user: CurrentUser,
    services: ServicesDep,
    since: Annotated[
        Instant | None,
        Query(
            description="From (UTC unless an offset is given); default: the start of "
            "your current month."
        ),
    ] = None,
    until: Annotated[Instant | None, Query(description="Up to (excluded); default: now.")] = None,
    of: Annotated[
        str | None,
        Query(
            alias="user",
            max_length=150,
            description="Only this user's runs (a username); admins only, but for yourself.",
        ),
    ] = None,
    connection: Annotated[str | None, Query(max_length=100)] = None,
) -> Asked:
    """The query string of a spend request: whose runs (yours unless you are an admin)."""
    zone = zone_for(services, user)
    until = until or datetime.now(UTC)
    if since is None:
        local = until.astimezone(zone)
        since = datetime.combine(date(local.year, local.month, 1), time(), tzinfo=zone)
    user_id: int | None = None if sees_everyone(user) else user.id
    if of is not None and of != user.username:
        if not sees_everyone(user):
            raise ApiError(403, "forbidden", "You may see your own spend only.")
        found = await services.pools.io.run(services.users.by_username, of)
        if found is None:
            raise ApiError(404, "user_not_found", f"No user named {of!r}.")
        user_id = found.id
    elif of is not None:
        user_id = user.id
    return Asked(since, until, zone, user_id, connection)


Asking = Annotated[Asked, Depends(asked)]
By = Annotated[
    str,
    Query(
        max_length=200,
        description="What to roll up by, comma-separated: "
        + ", ".join(f"`{d.value}`" for d in Dimension)
        + ". Empty: the total only.",
    ),
]


def _request(where: Asked, by: str) -> SpendRequest:
    try:
        return SpendRequest(
            where.since, where.until, dimensions(by), where.zone, where.user_id, where.connection
        )
    except SpendInvalid as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None


@router.get("/spend", response_model=SpendOut, response_model_exclude_unset=True)
async def spend(where: Asking, services: ServicesDep, by: By = "day") -> SpendOut:
    """Bytes processed and billed, and their cost, rolled up: everyone's for admins, your own
    otherwise. Days are those of your time zone. Read from the runs, so kept (and purged) as
    the audit log is; runs answered from Belvedere's cache are not runs and spend nothing."""
    request = _request(where, by)
    found = await services.pools.io.run(services.spend.spend, request)
    price = services.spend.price
    return SpendOut(
        rows=[SpendRowOut.of(row) for row in found.rows],
        total=SpendRowOut.of(found.total),
        since=where.since,
        until=where.until,
        by=[d.value for d in request.by],
        timezone=where.zone.key,
        currency=price.currency,
        price_per_tib=price.per_tib,
    )


@router.get("/spend/export", responses={200: {"content": {"text/csv": {}}}})
async def export(where: Asking, services: ServicesDep, by: By = "day") -> Response:
    """The same rows as `GET /spend`, as CSV (cost in the settings' currency)."""
    request = _request(where, by)
    found = await services.pools.io.run(services.spend.spend, request)
    name = f"belvedere-spend-{where.since.astimezone(where.zone):%Y-%m-%d}"
    name += f"-to-{where.until.astimezone(where.zone):%Y-%m-%d}.csv"
    return Response(
        services.spend.csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": content_disposition(name)},
    )


@router.get("/spend/top", response_model=list[TopRunOut])
async def top(
    where: Asking,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_TOP)] = 20,
) -> list[TopRunOut]:
    """The runs that billed the most, most first: everyone's for admins, your own otherwise."""
    runs = RunFilter(where.since, where.until, where.user_id, where.connection)
    found = await services.pools.io.run(services.spend.top, runs, limit)
    price = services.spend.price
    return [TopRunOut.of(run, price.of(run.bytes_billed or 0)) for run in found]


@router.get("/spend/budgets", response_model=list[BudgetOut])
async def budgets(user: CurrentUser, services: ServicesDep) -> list[BudgetOut]:
    """Every budget as it stands in its current period, the nearest to its limit first:
    yours (your own and your groups'); for admins, everyone's (each person with a budget of
    their own: of a user rule, or of a role rule once they spent this period; each group)."""
    now = datetime.now(UTC)
    if sees_everyone(user):
        found = await services.pools.io.run(services.budgets.everyone, now)
    else:
        found = await services.pools.io.run(services.budgets.of_user, actor(user), now)
    return [BudgetOut.of(standing, user.id) for standing in found]


@router.get("/me/budget-notices", response_model=list[NoticeOut])
async def notices(user: CurrentUser, services: ServicesDep) -> list[NoticeOut]:
    """Budgets that reached 80% or 100% in their current period, newest first: yours and your
    groups' (admins: everyone's). The same notices are e-mailed once, when e-mail is set up."""
    found = await services.pools.io.run(services.budget_alerts.current, user, sees_everyone(user))
    return [NoticeOut.of(told) for told in found]
