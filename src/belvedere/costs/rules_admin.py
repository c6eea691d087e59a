"""What admins change of cost governance, checked and audited (blocking): the rules of a
connection (a cap per query, budgets per day and month, for a role, a group or a user) and
one-off raises. Each change's audit event is written in its transaction; the events'
details are read back in words by :func:`belvedere.audit.events.summary`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from belvedere.audit.events import AuditAction, EventDraft, ObjectKind
from belvedere.auth.roles import Role
from belvedere.connections.service import ConnectionService
from belvedere.costs.model import Raise, Rule, Scope
from belvedere.store.costs import CostStore
from belvedere.store.users import Users
from belvedere.warehouses.base import CostEstimator
from belvedere.warehouses.registry import UnknownBackend, backend_class

#: How long a one-off raise lasts unless said, and at most.
DEFAULT_RAISE_HOURS = 24
MAX_RAISE_HOURS = 7 * 24
MAX_REASON = 2000
MAX_GROUP = 300


class CostChangeInvalid(ValueError):
    """A rule or raise that cannot be saved as asked: ``field`` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class CostRuleNotFound(LookupError):
    """No cost rule of that id."""


class CostRaiseNotFound(LookupError):
    """No one-off raise of that id (that the asker may see)."""


@dataclass(frozen=True)
class Limits:
    """What a rule limits (``None``: not limited by it)."""

    max_bytes_per_query: int | None = None
    daily_bytes: int | None = None
    monthly_bytes: int | None = None

    @classmethod
    def of(cls, rule: Rule) -> Limits:
        return cls(rule.max_bytes_per_query, rule.daily_bytes, rule.monthly_bytes)

    def as_dict(self) -> dict[str, int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def check(self, *, one_at_least: bool = True) -> None:
        """Refuse a limit below 1 byte, and (``one_at_least``) a rule that limits nothing."""
        values = self.as_dict()
        for name, value in values.items():
            if value is not None and value < 1:
                raise CostChangeInvalid(name, f"{name} must be at least 1 byte (or null).")
        if one_at_least and all(v is None for v in values.values()):
            raise CostChangeInvalid(
                "max_bytes_per_query",
                "Set at least one of max_bytes_per_query, daily_bytes and monthly_bytes "
                "(or delete the rule).",
            )


def bills_by_bytes(kind: str) -> bool:
    """Whether connections of ``kind`` bill by bytes (their backend dry-runs: BigQuery)."""
    try:
        return issubclass(backend_class(kind), CostEstimator)
    except UnknownBackend:
        return False


def who(scope: Scope, subject: str, username: str | None) -> str:
    """Whom a rule is for, in words: ``role viewer``, ``group analysts``, ``user alice``."""
    if scope is Scope.USER:
        return f"user {username or '#' + subject}"
    return f"{scope.value} {subject}"


class CostAdmin:
    """Changes of rules and raises, checked and audited."""

    def __init__(self, store: CostStore, connections: ConnectionService, users: Users) -> None:
        self.store = store
        self._connections = connections
        self._users = users

    # -- checks --------------------------------------------------------------------------

    def billed(self, connection: str) -> None:
        """Refuse a connection that is not billed by bytes (``ConnectionNotFound`` if none)."""
        kind = self._connections.get(connection).kind
        if not bills_by_bytes(kind):
            raise CostChangeInvalid(
                "connection",
                f"Connection {connection} ({kind}) is not billed by bytes: caps, budgets and "
                "raises do not apply to it.",
            )

    def subject(self, scope: Scope, named: str) -> str:
        """The stored subject of a rule for ``named`` (a role, a group, a username)."""
        named = named.strip()
        if scope is Scope.ROLE:
            if named not in {r.value for r in Role}:
                roles = ", ".join(r.value for r in Role)
                raise CostChangeInvalid("subject", f"Unknown role {named!r}: use {roles}.")
            return named
        if scope is Scope.GROUP:
            if not named or len(named) > MAX_GROUP:
                raise CostChangeInvalid("subject", "A group's name is 1 to 300 characters.")
            return named
        return str(self._user_id(named, "subject"))

    def _user_id(self, username: str, field: str) -> int:
        user = self._users.by_username(username.strip())
        if user is None:
            raise CostChangeInvalid(field, f"No user named {username!r}.")
        return user.id

    def username(self, user_id: int | None) -> str | None:
        """A user's name, if the user exists."""
        user = self._users.get(user_id) if user_id is not None else None
        return user.username if user is not None else None

    def who(self, rule: Rule) -> str:
        """Whom ``rule`` is for, in words."""
        named = self.username(int(rule.subject)) if rule.scope is Scope.USER else None
        return who(rule.scope, rule.subject, named)

    # -- rules ---------------------------------------------------------------------------

    def set_rule(
        self, actor_id: int, connection: str, scope: Scope, named: str, limits: Limits
    ) -> Rule:
        """Create the rule of (connection, scope, subject), or change it."""
        self.billed(connection)
        subject = self.subject(scope, named)
        limits.check()
        label = who(scope, subject, named.strip() if scope is Scope.USER else None)
        return self.store.set_rule(
            connection,
            scope,
            subject,
            **limits.as_dict(),
            actor_id=actor_id,
            event_for=lambda before, after: _rule_set(actor_id, label, before, after),
        )

    def change_rule(self, actor_id: int, rule_id: int, changes: Mapping[str, int | None]) -> Rule:
        """Change some limits of a rule (a ``None`` value lifts that limit)."""
        rule = self.store.rule(rule_id)
        if rule is None:
            raise CostRuleNotFound(f"No cost rule with id {rule_id}.")
        limits = Limits(**{**Limits.of(rule).as_dict(), **changes})
        limits.check(one_at_least=False)  # lifting its last limit leaves it limiting nothing
        label = self.who(rule)
        return self.store.set_rule(
            rule.connection,
            rule.scope,
            rule.subject,
            **limits.as_dict(),
            actor_id=actor_id,
            event_for=lambda before, after: _rule_set(actor_id, label, before, after),
        )

    def delete_rule(self, actor_id: int, rule_id: int) -> Rule:
        """Delete a rule."""
        rule = self.store.rule(rule_id)
        if rule is None:
            raise CostRuleNotFound(f"No cost rule with id {rule_id}.")
        event = EventDraft(
            AuditAction.COST_RULE_DELETED,
            ObjectKind.COST_RULE,
            str(rule.id),
            actor_id,
            {**_about(rule, self.who(rule)), "limits": Limits.of(rule).as_dict()},
        )
        gone = self.store.delete_rule(rule_id, event)
        if gone is None:
            raise CostRuleNotFound(f"No cost rule with id {rule_id}.")
        return gone

    # -- raises --------------------------------------------------------------------------

    def grant(
        self,
        actor_id: int,
        username: str,
        connection: str,
        max_bytes: int,
        reason: str,
        hours: float,
        now: datetime,
    ) -> Raise:
        """Grant ``username`` one query of up to ``max_bytes`` on ``connection`` beyond their
        cap and budgets, for ``hours``."""
        self.billed(connection)
        user_id = self._user_id(username, "user")
        if max_bytes < 1:
            raise CostChangeInvalid("max_bytes", "max_bytes must be at least 1 byte.")
        reason = " ".join(reason.split())
        if not reason or len(reason) > MAX_REASON:
            raise CostChangeInvalid("reason", f"Say why, in 1 to {MAX_REASON} characters.")
        if not 0 < hours <= MAX_RAISE_HOURS:
            raise CostChangeInvalid(
                "expires_in_hours",
                f"A raise lasts more than 0 and at most {MAX_RAISE_HOURS} hours.",
            )
        expires_at = now + timedelta(hours=hours)
        name = username.strip()
        return self.store.grant_raise(
            user_id,
            connection,
            max_bytes,
            reason,
            actor_id,
            expires_at,
            lambda granted: EventDraft(
                AuditAction.COST_RAISE_GRANTED,
                ObjectKind.COST_RAISE,
                str(granted.id),
                actor_id,
                {**_raise_details(granted, name), "reason": reason},
            ),
        )

    def revoke(self, actor_id: int, raise_id: int) -> Raise:
        """Revoke a raise not used yet (a used or revoked one is left as it is)."""
        found = self.store.get_raise(raise_id)
        if found is None:
            raise CostRaiseNotFound(f"No one-off raise with id {raise_id}.")
        event = EventDraft(
            AuditAction.COST_RAISE_REVOKED,
            ObjectKind.COST_RAISE,
            str(raise_id),
            actor_id,
            _raise_details(found, self.username(found.user_id) or f"#{found.user_id}"),
        )
        revoked = self.store.revoke_raise(raise_id, event)
        if revoked is None:
            raise CostRaiseNotFound(f"No one-off raise with id {raise_id}.")
        return revoked


def _about(rule: Rule, label: str) -> dict[str, Any]:
    return {
        "connection": rule.connection,
        "scope": rule.scope.value,
        "subject": rule.subject,
        "who": label,
    }


def _rule_set(actor_id: int, label: str, before: Rule | None, after: Rule) -> EventDraft:
    old = Limits.of(before).as_dict() if before is not None else Limits().as_dict()
    new = Limits.of(after).as_dict()
    changed = {name: [old[name], new[name]] for name in new if old[name] != new[name]}
    return EventDraft(
        AuditAction.COST_RULE_SET,
        ObjectKind.COST_RULE,
        str(after.id),
        actor_id,
        {**_about(after, label), "created": before is None, "changed": changed},
    )


def _raise_details(found: Raise, username: str) -> dict[str, Any]:
    return {
        "user": username,
        "user_id": found.user_id,
        "connection": found.connection,
        "max_bytes": found.max_bytes,
        "expires_at": f"{found.expires_at:%Y-%m-%d %H:%M} UTC",
    }


def raise_used_event(found: Raise, username: str, run_id: str, estimate: int) -> EventDraft:
    """The audit event of a run using a one-off raise (for the cost guard), with the details
    the audit log tells it by."""
    return EventDraft(
        AuditAction.COST_RAISE_USED,
        ObjectKind.COST_RAISE,
        str(found.id),
        found.user_id,
        {**_raise_details(found, username), "run_id": run_id, "estimate": estimate},
    )
