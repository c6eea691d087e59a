"""Dashboards and who they are shared with (the rules on them: :mod:`belvedere.dashboards`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select

from belvedere.store.db import Database
from belvedere.store.models import Dashboard, DashboardShare


@dataclass(frozen=True)
class DashboardRecord:
    """A dashboard as stored: its layout and filters are JSON, parsed by the dashboard rules."""

    id: int
    owner_id: int
    title: str
    layout: dict[str, Any]
    filters: list[dict[str, Any]]
    refresh_seconds: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ShareRecord:
    """A dashboard shared with one user (by id) or with everyone of a role, as ``access``
    (``viewer`` or ``editor``)."""

    access: str
    user_id: int | None = None
    role: str | None = None


CHANGEABLE = ("title", "layout", "filters", "refresh_seconds")


def _record(dashboard: Dashboard) -> DashboardRecord:
    return DashboardRecord(
        id=dashboard.id,
        owner_id=dashboard.owner_id,
        title=dashboard.title,
        layout=dashboard.layout or {},
        filters=list(dashboard.filters or []),
        refresh_seconds=dashboard.refresh_seconds,
        created_at=dashboard.created_at,
        updated_at=dashboard.updated_at,
    )


def _naming(user_id: int, role: str) -> Any:
    """Shares that name the user or their role."""
    return or_(DashboardShare.user_id == user_id, DashboardShare.role == role)


class Dashboards:
    """Repository of dashboards; every read for a user says which shares name them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, owner_id: int, title: str) -> DashboardRecord:
        """A new, empty dashboard."""
        with self._db.session() as s:
            dashboard = Dashboard(owner_id=owner_id, title=title, layout={"tiles": []}, filters=[])
            s.add(dashboard)
            s.flush()
            return _record(dashboard)

    def get_for(
        self, dashboard_id: int, user_id: int, role: str
    ) -> tuple[DashboardRecord, list[str]] | None:
        """The dashboard and the access of each share naming the user or their role (none
        read for its owner); ``None`` if there is no such dashboard."""
        with self._db.session() as s:
            dashboard = s.get(Dashboard, dashboard_id)
            if dashboard is None:
                return None
            if dashboard.owner_id == user_id:
                return _record(dashboard), []
            levels = s.scalars(
                select(DashboardShare.access).where(
                    DashboardShare.dashboard_id == dashboard_id, _naming(user_id, role)
                )
            ).all()
            return _record(dashboard), list(levels)

    def list_for(self, user_id: int, role: str) -> list[tuple[DashboardRecord, list[str]]]:
        """Dashboards the user owns or that a share names them in (with those shares'
        access), by title."""
        with self._db.session() as s:
            shared: dict[int, list[str]] = {}
            for dashboard_id, access in s.execute(
                select(DashboardShare.dashboard_id, DashboardShare.access).where(
                    _naming(user_id, role)
                )
            ):
                shared.setdefault(dashboard_id, []).append(access)
            dashboards = s.scalars(
                select(Dashboard)
                .where(or_(Dashboard.owner_id == user_id, Dashboard.id.in_(list(shared))))
                .order_by(Dashboard.title, Dashboard.id)
            ).all()
            return [(_record(d), shared.get(d.id, [])) for d in dashboards]

    def update(self, dashboard_id: int, changes: dict[str, Any]) -> DashboardRecord | None:
        """Change a dashboard (the caller checked the access)."""
        with self._db.session() as s:
            dashboard = s.get(Dashboard, dashboard_id)
            if dashboard is None:
                return None
            for field in CHANGEABLE:
                if field in changes:
                    setattr(dashboard, field, changes[field])
            s.flush()
            return _record(dashboard)

    def delete(self, dashboard_id: int) -> None:
        """Delete a dashboard and its shares (the caller checked the access)."""
        with self._db.session() as s:
            dashboard = s.get(Dashboard, dashboard_id)
            if dashboard is not None:
                s.delete(dashboard)

    def shares(self, dashboard_id: int) -> list[ShareRecord]:
        """Who the dashboard is shared with."""
        with self._db.session() as s:
            rows = s.scalars(
                select(DashboardShare)
                .where(DashboardShare.dashboard_id == dashboard_id)
                .order_by(DashboardShare.id)
            ).all()
            return [ShareRecord(r.access, r.user_id, r.role) for r in rows]

    def set_shares(self, dashboard_id: int, shares: list[ShareRecord]) -> None:
        """Replace who the dashboard is shared with."""
        with self._db.session() as s:
            s.execute(delete(DashboardShare).where(DashboardShare.dashboard_id == dashboard_id))
            for share in shares:
                s.add(
                    DashboardShare(
                        dashboard_id=dashboard_id,
                        user_id=share.user_id,
                        role=share.role,
                        access=share.access,
                    )
                )
