"""Dashboards and who they are shared with."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, or_, select

from belvedere.store.db import Database
from belvedere.store.models import Dashboard, DashboardShare, User


class Access(StrEnum):
    """What a user may do with a dashboard."""

    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def can_edit(self) -> bool:
        return self in (Access.OWNER, Access.EDITOR)


@dataclass(frozen=True)
class Share:
    """A dashboard shared with one user (by id) or with everyone of a role."""

    access: Access
    user_id: int | None = None
    role: str | None = None


CHANGEABLE = ("title", "layout", "filters", "refresh_seconds")


class Dashboards:
    """Repository of dashboards; every read says what access the reader has."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, owner_id: int, title: str) -> Dashboard:
        """A new, empty dashboard."""
        with self._db.session() as s:
            dashboard = Dashboard(owner_id=owner_id, title=title, layout={"tiles": []}, filters=[])
            s.add(dashboard)
        return dashboard

    def visible(self, dashboard_id: int, user: User) -> tuple[Dashboard, Access] | None:
        """The dashboard and the user's access to it; ``None`` if they have none."""
        with self._db.session() as s:
            dashboard = s.get(Dashboard, dashboard_id)
            if dashboard is None:
                return None
            if dashboard.owner_id == user.id:
                return dashboard, Access.OWNER
            shares = s.scalars(
                select(DashboardShare.access).where(
                    DashboardShare.dashboard_id == dashboard_id,
                    or_(DashboardShare.user_id == user.id, DashboardShare.role == user.role),
                )
            ).all()
        if not shares:
            return None
        return dashboard, Access.EDITOR if Access.EDITOR in shares else Access.VIEWER

    def list_visible(self, user: User) -> list[tuple[Dashboard, Access]]:
        """Dashboards the user owns or that are shared with them, by title."""
        with self._db.session() as s:
            shared = dict(
                s.execute(
                    select(DashboardShare.dashboard_id, DashboardShare.access).where(
                        or_(DashboardShare.user_id == user.id, DashboardShare.role == user.role)
                    )
                ).all()
            )
            dashboards = s.scalars(
                select(Dashboard)
                .where(or_(Dashboard.owner_id == user.id, Dashboard.id.in_(list(shared))))
                .order_by(Dashboard.title, Dashboard.id)
            ).all()
        found = []
        for dashboard in dashboards:
            if dashboard.owner_id == user.id:
                found.append((dashboard, Access.OWNER))
            else:
                found.append((dashboard, Access(shared[dashboard.id])))
        return found

    def update(self, dashboard_id: int, changes: dict[str, Any]) -> Dashboard | None:
        """Change a dashboard (the caller checked the access)."""
        with self._db.session() as s:
            dashboard = s.get(Dashboard, dashboard_id)
            if dashboard is None:
                return None
            for field in CHANGEABLE:
                if field in changes:
                    setattr(dashboard, field, changes[field])
            return dashboard

    def delete(self, dashboard_id: int) -> None:
        """Delete a dashboard and its shares (the caller checked the access)."""
        with self._db.session() as s:
            dashboard = s.get(Dashboard, dashboard_id)
            if dashboard is not None:
                s.delete(dashboard)

    def shares(self, dashboard_id: int) -> list[Share]:
        """Who the dashboard is shared with."""
        with self._db.session() as s:
            rows = s.scalars(
                select(DashboardShare)
                .where(DashboardShare.dashboard_id == dashboard_id)
                .order_by(DashboardShare.id)
            ).all()
            return [Share(Access(r.access), r.user_id, r.role) for r in rows]

    def set_shares(self, dashboard_id: int, shares: list[Share]) -> None:
        """Replace who the dashboard is shared with."""
        with self._db.session() as s:
            s.execute(delete(DashboardShare).where(DashboardShare.dashboard_id == dashboard_id))
            for share in shares:
                s.add(
                    DashboardShare(
                        dashboard_id=dashboard_id,
                        user_id=share.user_id,
                        role=share.role,
                        access=share.access.value,
                    )
                )
