"""Roles and what each may do, as data."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class Permission(StrEnum):
    """Something a role may do."""

    RUN_SQL = "run_sql"
    USE_CONNECTIONS = "use_connections"
    MANAGE_CONNECTIONS = "manage_connections"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    EDIT_CHARTS = "edit_charts"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.EDITOR: frozenset(
        {Permission.RUN_SQL, Permission.USE_CONNECTIONS, Permission.EDIT_CHARTS}
    ),
    Role.VIEWER: frozenset({Permission.USE_CONNECTIONS}),
}

PERMISSION_DESCRIPTIONS: dict[Permission, str] = {
    Permission.RUN_SQL: "run SQL in SQL Lab and through the API",
    Permission.USE_CONNECTIONS: "see the list of connections",
    Permission.MANAGE_CONNECTIONS: "add, edit and remove connections",
    Permission.MANAGE_USERS: "manage user accounts",
    Permission.VIEW_AUDIT: "read the audit log",
    Permission.EDIT_CHARTS: "build charts and dashboards",
}


def can(role: str, permission: Permission) -> bool:
    """Whether a role holds a permission (unknown roles hold none)."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
