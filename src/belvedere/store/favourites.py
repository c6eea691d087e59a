"""Favourites and recent views in the metadata store (blocking): what each user starred, and
when they last opened a chart or a dashboard; plus their recent runs, for the Home page. Rows
name their object by kind and id; the rules on them live in :mod:`belvedere.home`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.exc import IntegrityError

from belvedere.store.db import Database
from belvedere.store.favourite_tables import Favourite, RecentView
from belvedere.store.models import QueryRun, utcnow

#: Recent views kept per user and kind (older ones are dropped as new ones come).
KEEP_VIEWS = 50


@dataclass(frozen=True)
class Mark:
    """A favourite or a recent view: an object (kind, id) and when it was starred or opened."""

    kind: str
    object_id: int
    at: datetime


@dataclass(frozen=True)
class RecentRun:
    """A query the user ran lately (the latest run of each distinct text)."""

    run_id: str
    connection_name: str
    sql: str
    status: str
    submitted_at: datetime


class FavouriteStore:
    """Repository of favourites and recent views, always for one user."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def star(self, user_id: int, kind: str, object_id: int, *, since: datetime) -> Mark:
        """Add a favourite (the one there already, if starred before; starred anew if that
        was before ``since``, when the object was made: one gone that had the same id)."""
        for _ in range(2):  # an insert that lost a race with another reads the winner
            with self._db.session() as s:
                found = s.scalar(
                    select(Favourite).where(
                        Favourite.user_id == user_id,
                        Favourite.kind == kind,
                        Favourite.object_id == object_id,
                    )
                )
                if found is not None:
                    if found.created_at < since:
                        found.created_at = utcnow()
                    return Mark(kind, object_id, found.created_at)
            try:
                with self._db.session() as s:
                    row = Favourite(user_id=user_id, kind=kind, object_id=object_id)
                    s.add(row)
                    s.flush()
                    return Mark(kind, object_id, row.created_at)
            except IntegrityError:
                continue
        raise RuntimeError("the favourite could not be stored")

    def unstar(self, user_id: int, kind: str, object_id: int) -> bool:
        """Remove a favourite; ``False`` if there was none."""
        with self._db.session() as s:
            gone = s.execute(
                delete(Favourite).where(
                    Favourite.user_id == user_id,
                    Favourite.kind == kind,
                    Favourite.object_id == object_id,
                )
            )
            return bool(gone.rowcount)  # type: ignore[attr-defined]

    def favourites(self, user_id: int, kind: str | None = None) -> list[Mark]:
        """The user's favourites (of one kind, or all), newest first."""
        query = select(Favourite).where(Favourite.user_id == user_id)
        if kind is not None:
            query = query.where(Favourite.kind == kind)
        with self._db.session() as s:
            rows = s.scalars(query.order_by(Favourite.created_at.desc(), Favourite.id.desc()))
            return [Mark(r.kind, r.object_id, r.created_at) for r in rows]

    def viewed(self, user_id: int, kind: str, object_id: int) -> None:
        """Note that the user opened an object now; keep their latest :data:`KEEP_VIEWS`."""
        at = utcnow()
        with self._db.session() as s:
            row = s.get(RecentView, (user_id, kind, object_id))
            if row is None:
                s.add(RecentView(user_id=user_id, kind=kind, object_id=object_id, viewed_at=at))
            else:
                row.viewed_at = at
        with self._db.session() as s:
            older = s.scalars(
                select(RecentView.object_id)
                .where(RecentView.user_id == user_id, RecentView.kind == kind)
                .order_by(RecentView.viewed_at.desc())
                .offset(KEEP_VIEWS)
            ).all()
            if older:
                s.execute(
                    delete(RecentView).where(
                        RecentView.user_id == user_id,
                        RecentView.kind == kind,
                        RecentView.object_id.in_(older),
                    )
                )

    def views(self, user_id: int, kind: str) -> list[Mark]:
        """The objects of a kind the user opened, latest first."""
        with self._db.session() as s:
            rows = s.scalars(
                select(RecentView)
                .where(RecentView.user_id == user_id, RecentView.kind == kind)
                .order_by(RecentView.viewed_at.desc())
            )
            return [Mark(r.kind, r.object_id, r.viewed_at) for r in rows]

    def forget(self, user_id: int, marks: Iterable[Mark]) -> None:
        """Drop the user's favourites and views of these objects (gone, or an id used again)."""
        keys = list({(m.kind, m.object_id) for m in marks})
        if not keys:
            return
        with self._db.session() as s:
            for table in (Favourite, RecentView):
                s.execute(
                    delete(table).where(
                        table.user_id == user_id,
                        tuple_(table.kind, table.object_id).in_(keys),
                    )
                )

    def recent_runs(
        self, user_id: int, surfaces: Iterable[str], *, limit: int, scan: int = 200
    ) -> list[RecentRun]:
        """The user's latest runs from these surfaces, one per distinct (connection, SQL),
        newest first (among their last ``scan`` runs)."""
        query = (
            select(QueryRun)
            .where(QueryRun.user_id == user_id, QueryRun.surface.in_(list(surfaces)))
            .order_by(QueryRun.submitted_at.desc())
            .limit(scan)
        )
        found: dict[tuple[str, str], RecentRun] = {}
        with self._db.session() as s:
            for run in s.scalars(query):
                key = (run.connection_name, run.sql.strip())
                if key not in found and run.table_ref is None:
                    found[key] = RecentRun(
                        run.id, run.connection_name, run.sql, run.status, run.submitted_at
                    )
                if len(found) >= limit:
                    break
        return list(found.values())
