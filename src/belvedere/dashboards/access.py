"""Who may see and change a dashboard: its owner, and the users and roles it is shared with."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from belvedere.auth.account import Account
from belvedere.auth.roles import Permission, can


class Access(StrEnum):
    """What a user may do with a dashboard."""

    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def can_edit(self) -> bool:
        return self in (Access.OWNER, Access.EDITOR)


def access_of(owner_id: int, viewer: Account, shares: Sequence[str]) -> Access | None:
    """A viewer's access to a dashboard, from the access of the shares naming them or their
    role (an editor share wins); ``None``: they may not see it."""
    if owner_id == viewer.id:
        return Access.OWNER
    if not shares:
        return None
    return Access.EDITOR if Access.EDITOR.value in shares else Access.VIEWER


def filters_anywhere(access: Access, viewer: Account) -> bool:
    """Whether the viewer may filter on any column of the dashboard's charts: a chart builder
    who may edit it (trying a filter before saving it). Everyone else filters only on the
    columns the dashboard's filters declare, so a viewer learns nothing a chart doesn't show
    beyond the values the owner chose to offer."""
    return access.can_edit and can(viewer.role, Permission.EDIT_CHARTS)


def builds_charts(viewer: Account) -> bool:
    """Whether the viewer's role builds charts (and so may add a filter on a new column)."""
    return can(viewer.role, Permission.EDIT_CHARTS)
