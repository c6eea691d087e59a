"""Sign-in throttling: refusals that grow with failed passwords, per account and per address.

After ``free_failures`` wrong passwords for one account, or from one client address, further
attempts are refused (HTTP 429) without checking the password, first for ``first_lockout``,
then twice as long with each further failure, never longer than ``max_lockout``. Failures are
forgotten after ``forget_after`` without another one, and a success clears its address's.

So an attacker cannot lock someone out for good: an account's refusal does not apply to a client
address that signed in to that account in the last ``known_for`` (its own failures still count
against it), every refusal ends by itself, and ``belvedere users unlock`` ends one at once.

State lives in the metadata store, so every server process counts the same failures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from belvedere.settings import Settings
from belvedere.store.db import Database
from belvedere.store.models import SigninThrottle, utcnow

Clock = Callable[[], datetime]
T = TypeVar("T")

#: A longest user name or address kept in a key; longer ones are cut (they still count).
_KEY_PART = 190


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free, and how long refusals last."""

    free_failures: int = 5
    first_lockout: timedelta = timedelta(seconds=30)
    max_lockout: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=24)
    known_for: timedelta = timedelta(days=30)

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        """The policy the ``signin_*`` settings describe."""
        return cls(
            free_failures=settings.signin_free_failures,
            first_lockout=timedelta(seconds=settings.signin_lockout_seconds),
            max_lockout=timedelta(seconds=settings.signin_lockout_max_seconds),
            forget_after=timedelta(hours=settings.signin_forget_hours),
        )

    def lockout(self, failures: int) -> timedelta:
        """How long sign-in is refused after this many failures in a row."""
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 40)
        lockout: timedelta = self.first_lockout * 2**doublings
        return min(lockout, self.max_lockout)


class Throttled(Exception):
    """Sign-in refused for ``wait`` after failed passwords (answered 429)."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"sign-in refused for {wait}")
        self.wait = wait


@dataclass(frozen=True)
class Refusal:
    """A current refusal: whom it is for and until when."""

    kind: str
    """``account`` or ``address``."""
    name: str
    failures: int
    until: datetime


def _account(username: str) -> str:
    return "account " + username.strip().casefold()[:_KEY_PART]


def _address(address: str) -> str:
    return "address " + address[:_KEY_PART]


def _known(username: str, address: str) -> str:
    return f"known {address[:_KEY_PART]} {username.strip().casefold()[:_KEY_PART]}"


def _refusal(row: SigninThrottle) -> Refusal:
    kind, name = row.key.split(" ", 1)
    assert row.locked_until is not None
    return Refusal(kind, name, row.failures, row.locked_until)


class SignInThrottle:
    """Counts failed sign-ins in the metadata store and says when to refuse one."""

    def __init__(self, db: Database, policy: ThrottlePolicy, clock: Clock = utcnow) -> None:
        self._db = db
        self.policy = policy
        self.clock = clock
        """Where "now" comes from (tests replace it instead of sleeping)."""

    def wait(self, username: str, address: str) -> timedelta | None:
        """How long an attempt to sign in ``username`` from ``address`` must wait, or ``None``."""
        now = self.clock()
        keys = [_account(username), _address(address), _known(username, address)]
        with self._db.session() as s:
            rows = {
                r.key: r
                for r in s.scalars(select(SigninThrottle).where(SigninThrottle.key.in_(keys)))
            }
        known = rows.get(keys[2])
        is_known = known is not None and known.updated_at > now - self.policy.known_for
        checked = keys[1:2] if is_known else keys[:2]
        ends = [r.locked_until for k in checked if (r := rows.get(k)) and r.locked_until]
        longest = max((end - now for end in ends), default=timedelta(0))
        return longest if longest > timedelta(0) else None

    def attempt(
        self, username: str, address: str, authenticate: Callable[[], T | None]
    ) -> T | None:
        """Check a password (``authenticate``) unless sign-in is refused now (raises
        :class:`Throttled`), and count its outcome (blocking)."""
        wait = self.wait(username, address)
        if wait is not None:
            raise Throttled(wait)
        user = authenticate()
        (self.failed if user is None else self.succeeded)(username, address)
        return user

    def failed(self, username: str, address: str) -> None:
        """Count a wrong password against the account and the address."""
        now = self.clock()
        with self._db.session() as s:
            for key in (_account(username), _address(address)):
                failures = self._count(s, key, now)
                lockout = self.policy.lockout(failures)
                if lockout:
                    s.execute(
                        update(SigninThrottle)
                        .where(SigninThrottle.key == key)
                        .values(locked_until=now + lockout)
                    )
            self._purge(s, now)

    def succeeded(self, username: str, address: str) -> None:
        """A right password: forget the address's failures and remember the pair as known.

        The account's failures are forgotten too unless it is refused right now (the success
        came from a known address while others are guessing).
        """
        now = self.clock()
        with self._db.session() as s:
            s.execute(delete(SigninThrottle).where(SigninThrottle.key == _address(address)))
            s.execute(
                delete(SigninThrottle).where(
                    SigninThrottle.key == _account(username),
                    (SigninThrottle.locked_until.is_(None)) | (SigninThrottle.locked_until <= now),
                )
            )
            self._remember(s, username, address, now)

    def _remember(self, s: Session, username: str, address: str, now: datetime) -> None:
        """Mark ``address`` as one that signs in to ``username`` (see :meth:`wait`)."""
        self._upsert(
            s, _known(username, address), {"failures": 0, "updated_at": now}, {"updated_at": now}
        )

    def unlock(self, username: str, addresses: Iterable[str] = ()) -> int:
        """End the refusals of an account (and of addresses); how many records were cleared."""
        keys = [_account(username), *(_address(a) for a in addresses)]
        with self._db.session() as s:
            result = s.execute(delete(SigninThrottle).where(SigninThrottle.key.in_(keys)))
        return int(getattr(result, "rowcount", 0) or 0)

    def trust(self, username: str, address: str) -> None:
        """Let ``address`` sign in to the account despite others' failures, as if it had
        signed in there before (an operator's way in while someone keeps the account
        refused; the address's own failures still count)."""
        now = self.clock()
        with self._db.session() as s:
            self._remember(s, username, address, now)

    def refusals(self) -> list[Refusal]:
        """Every refusal in force now, longest first."""
        now = self.clock()
        with self._db.session() as s:
            rows = s.scalars(
                select(SigninThrottle)
                .where(SigninThrottle.locked_until > now)
                .order_by(SigninThrottle.locked_until.desc())
            )
            return [_refusal(row) for row in rows if row.locked_until is not None]

    def _count(self, s: Session, key: str, now: datetime) -> int:
        """Add one failure to ``key`` (restarting from one after ``forget_after``), atomically."""
        fresh = case(
            (SigninThrottle.updated_at < now - self.policy.forget_after, 1),
            else_=SigninThrottle.failures + 1,
        )
        return self._upsert(
            s, key, {"failures": 1, "updated_at": now}, {"failures": fresh, "updated_at": now}
        )

    def _upsert(self, s: Session, key: str, insert: dict[str, Any], changes: dict[str, Any]) -> int:
        """Insert ``key`` or update it in one statement; the failures it then has."""
        dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(SigninThrottle)
            .values(key=key, **insert)
            .on_conflict_do_update(index_elements=[SigninThrottle.key], set_=changes)
            .returning(SigninThrottle.failures)
        )
        return int(s.execute(statement).scalar_one())

    def _purge(self, s: Session, now: datetime) -> None:
        """Drop forgotten failures and pairs not seen for ``known_for``."""
        known = SigninThrottle.key.startswith("known ")
        unlocked = SigninThrottle.locked_until.is_(None) | (SigninThrottle.locked_until < now)
        s.execute(
            delete(SigninThrottle).where(
                (known & (SigninThrottle.updated_at < now - self.policy.known_for))
                | (~known & (SigninThrottle.updated_at < now - self.policy.forget_after) & unlocked)
            )
        )
