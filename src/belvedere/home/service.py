"""The Home service: star and unstar what you may see, list your favourites and your recent
queries, charts and dashboards. Whatever is listed is checked against the reader's access when
read: a favourite of something no longer shared with them is not shown (and comes back if it
is shared again); one of an object that is gone, or of an id used again by a newer object, is
dropped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission, can
from belvedere.charts.errors import ChartNotFound
from belvedere.concurrency import Lane
from belvedere.dashboards.access import access_of
from belvedere.dashboards.errors import DashboardNotFound
from belvedere.store.charts import Charts
from belvedere.store.dashboards import Dashboards
from belvedere.store.favourites import FavouriteStore, Mark, RecentRun
from belvedere.store.ids import MAX_ROW_ID
from belvedere.store.saved_queries import SavedQueries, SavedQueryNotFound
from belvedere.store.users import Users

Kind = Literal["chart", "dashboard", "saved_query"]
KINDS: tuple[Kind, ...] = ("chart", "dashboard", "saved_query")
#: Items in each recent list.
RECENT = 10
#: Surfaces whose runs are "your queries" (not a chart's, a dashboard's or a schedule's).
QUERY_SURFACES = ("sqllab", "api")


@dataclass(frozen=True)
class Item:
    """Something the reader may open: a chart, a dashboard or a saved query."""

    kind: Kind
    id: int
    name: str
    owner: str
    owner_id: int
    url: str
    created_at: datetime
    updated_at: datetime
    at: datetime | None = None
    """When it was starred (a favourite) or last opened or changed (a recent item)."""


@dataclass(frozen=True)
class Recent:
    """What the reader used lately, newest first."""

    queries: list[RecentRun]
    charts: list[Item]
    dashboards: list[Item]


class _Dated(Protocol):
    """What the records of each kind have in common here."""

    @property
    def id(self) -> int: ...
    @property
    def owner_id(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


def _url(kind: Kind, object_id: int) -> str:
    if kind == "chart":
        return f"/charts/{object_id}"
    if kind == "dashboard":
        return f"/dashboards/{object_id}"
    return f"/sqllab?saved={object_id}"


def _not_found(kind: Kind, object_id: int) -> LookupError:
    """The error a reader gets for what they may not see, whether it exists or not."""
    if kind == "chart":
        return ChartNotFound(f"No chart {object_id}.")
    if kind == "dashboard":
        return DashboardNotFound(object_id)
    return SavedQueryNotFound(object_id)


class HomeService:
    """Favourites and recent items, through the access rules of each kind."""

    def __init__(
        self,
        store: FavouriteStore,
        charts: Charts,
        dashboards: Dashboards,
        saved: SavedQueries,
        users: Users,
        io: Lane,
    ) -> None:
        self._store = store
        self._charts = charts
        self._dashboards = dashboards
        self._saved = saved
        self._users = users
        self._io = io

    # -- what a reader may see (blocking) --------------------------------------------------

    def _visible(self, reader: Account, kind: Kind) -> dict[int, Item]:
        """Every object of a kind the reader may open, by id."""
        found: list[tuple[_Dated, str]] = []
        if kind == "chart" and can(reader.role, Permission.EDIT_CHARTS):
            found = [(c, c.name) for c in self._charts.list_owned(reader.id)]
        elif kind == "dashboard":
            found = [
                (d, d.title)
                for d, shares in self._dashboards.list_for(reader.id, reader.role)
                if access_of(d.owner_id, reader, shares) is not None
            ]
        elif kind == "saved_query" and can(reader.role, Permission.RUN_SQL):
            found = [(s, s.name) for s in self._saved.list_visible(reader.id)]
        if not found:
            return {}
        names = {u.id: u.username for u in self._users.list()}
        return {
            record.id: Item(
                kind=kind,
                id=record.id,
                name=name,
                owner=names.get(record.owner_id, "?"),
                owner_id=record.owner_id,
                url=_url(kind, record.id),
                created_at=record.created_at,
                updated_at=record.updated_at,
            )
            for record, name in found
        }

    def _one(self, reader: Account, kind: Kind, object_id: int) -> _Dated | None:
        """The object if the reader may open it."""
        if kind == "chart":
            if not can(reader.role, Permission.EDIT_CHARTS):
                return None
            return self._charts.owned(object_id, reader.id)
        if kind == "dashboard":
            found = self._dashboards.get_for(object_id, reader.id, reader.role)
            if found is None or access_of(found[0].owner_id, reader, found[1]) is None:
                return None
            return found[0]
        if not can(reader.role, Permission.RUN_SQL):
            return None
        return self._saved.visible(object_id, reader.id)

    def _resolve(self, reader: Account, marks: Iterable[Mark]) -> list[Item]:
        """The marks' objects the reader may open, in the marks' order; marks of objects
        newer than themselves (an id used again) are dropped."""
        marks = list(marks)
        kinds = {m.kind for m in marks}
        visible: dict[str, dict[int, Item]] = {
            kind: self._visible(reader, kind) for kind in KINDS if kind in kinds
        }
        items, stale = [], []
        for mark in marks:
            item = visible.get(mark.kind, {}).get(mark.object_id)
            if item is not None and item.created_at > mark.at:
                stale.append(mark)
            elif item is not None:
                items.append(_at(item, mark.at))
        self._store.forget(reader.id, stale)
        return items

    # -- favourites -------------------------------------------------------------------------

    async def favourites(self, reader: Account) -> list[Item]:
        """The reader's favourites they may still open, newest first."""
        return await self._io.run(lambda: self._resolve(reader, self._store.favourites(reader.id)))

    async def starred(self, reader: Account, kind: Kind) -> set[int]:
        """Ids of the reader's favourites of a kind (for the lists' stars)."""
        marks = await self._io.run(self._store.favourites, reader.id, kind)
        return {m.object_id for m in marks}

    async def star(self, reader: Account, kind: Kind, object_id: int) -> Item:
        """Star something the reader may open (its kind's not-found error otherwise)."""

        def write() -> Item:
            record = self._one(reader, kind, object_id)
            if record is None:
                raise _not_found(kind, object_id)
            mark = self._store.star(reader.id, kind, object_id, since=record.created_at)
            item = self._visible(reader, kind)[object_id]
            return _at(item, mark.at)

        return await self._io.run(write)

    async def unstar(self, reader: Account, kind: Kind, object_id: int) -> None:
        """Unstar (nothing happens if it was not starred)."""
        await self._io.run(self._store.unstar, reader.id, kind, object_id)

    # -- recent ------------------------------------------------------------------------------

    async def viewed(self, reader: Account, kind: Kind, object_id: int) -> None:
        """Note that the reader opened a chart or dashboard (nothing if they may not)."""

        def write() -> None:
            if 1 <= object_id <= MAX_ROW_ID and self._one(reader, kind, object_id) is not None:
                self._store.viewed(reader.id, kind, object_id)

        await self._io.run(write)

    def _recent(self, reader: Account, kind: Kind) -> list[Item]:
        """What the reader opened (or, of their own, changed) lately, newest first."""
        opened = {m.object_id: m.at for m in self._store.views(reader.id, kind)}
        items = []
        for item in self._visible(reader, kind).values():
            seen = opened.get(item.id)
            if seen is not None and seen < item.created_at:
                seen = None  # a view of an older object of that id
            mine = item.owner_id == reader.id
            times = [t for t in (seen, item.updated_at if mine else None) if t is not None]
            if times:
                items.append(_at(item, max(times)))
        items.sort(key=lambda i: (i.at, i.id), reverse=True)
        return items[:RECENT]

    async def recent(self, reader: Account) -> Recent:
        """The reader's recent queries, charts and dashboards."""

        def read() -> Recent:
            queries = []
            if can(reader.role, Permission.RUN_SQL):
                queries = self._store.recent_runs(reader.id, QUERY_SURFACES, limit=RECENT)
            return Recent(queries, self._recent(reader, "chart"), self._recent(reader, "dashboard"))

        return await self._io.run(read)


def _at(item: Item, at: datetime) -> Item:
    return replace(item, at=at)
