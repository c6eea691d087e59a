"""User accounts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from belvedere.auth.roles import Role
from belvedere.security.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from belvedere.store.db import Database
from belvedere.store.models import User


class UserError(ValueError):
    """An account could not be created or changed; the message says why."""


def normalize_email(email: str | None) -> str | None:
    """An e-mail as stored: trimmed, ``None`` when empty (case is kept, compared without)."""
    email = (email or "").strip()
    if email and (email.count("@") != 1 or any(c.isspace() for c in email)):
        raise UserError(f"{email!r} is not an e-mail address")
    return email or None


def _email_taken(s: Session, email: str | None, user_id: int | None) -> None:
    """Refuse an e-mail that another account has (unique without regard to case)."""
    if email is None:
        return
    same = select(User.username).where(func.lower(User.email) == email.lower())
    if user_id is not None:
        same = same.where(User.id != user_id)
    other = s.scalar(same)
    if other is not None:
        raise UserError(
            f"The e-mail {email} belongs to another account ({other}): an e-mail names one "
            "person, on warehouses that query as each user."
        )


@contextmanager
def _unique_email(email: str | None) -> Iterator[None]:
    """The database's own uniqueness, for two accounts written at once."""
    try:
        yield
    except IntegrityError:
        raise UserError(
            f"Another account was just given this username or the e-mail {email}."
        ) from None


class Users:
    """Repository of user accounts."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.on_change: list[Callable[[int], None]] = []
        """Called with a user's id once their account changed (blocking), in the process that
        changed it: copies of the account kept with sessions are stale."""

    def _changed(self, user_id: int) -> None:
        for hook in self.on_change:
            hook(user_id)

    def count(self) -> int:
        """How many accounts exist."""
        with self._db.session() as s:
            return s.scalar(select(func.count()).select_from(User)) or 0

    def create(
        self,
        username: str,
        role: Role,
        password: str | None,
        display_name: str = "",
        email: str | None = None,
    ) -> User:
        """Create an account; a ``None`` password means sign-in by other means only."""
        username = username.strip()
        if not username or len(username) > 150 or any(c.isspace() for c in username):
            raise UserError("a username is 1 to 150 characters without spaces")
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
        email = normalize_email(email)
        with _unique_email(email), self._db.session() as s:
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                raise UserError(f"user {username!r} already exists")
            _email_taken(s, email, None)
            user = User(
                username=username,
                role=Role(role).value,
                display_name=display_name or username,
                password_hash=hash_password(password) if password is not None else None,
                is_active=True,
                email=email,
            )
            s.add(user)
        return user

    def sign_in_oidc(
        self,
        *,
        issuer: str,
        subject: str,
        email: str | None,
        display_name: str,
        groups: list[str],
        mapped_role: Role | None,
        default_role: Role,
    ) -> User:
        """The user of an OIDC identity: created at first sign-in, updated at each one (email,
        groups, and the role when a group maps to one). Refuses deactivated users, and an
        e-mail (verified by the provider: ``None`` otherwise) that another account has."""
        email = normalize_email(email)
        with _unique_email(email), self._db.session() as s:
            user = s.scalar(
                select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
            )
            existed = user is not None
            if user is None:
                username = email or f"{subject}@{issuer.removeprefix('https://')}"
                if s.scalar(select(User.id).where(User.username == username)) is not None:
                    raise UserError(
                        f"An account named {username} already exists; an admin must link or "
                        "rename it before you can sign in."
                    )
                user = User(
                    username=username,
                    role=(mapped_role or default_role).value,
                    display_name=display_name,
                    password_hash=None,
                    is_active=True,
                    oidc_issuer=issuer,
                    oidc_subject=subject,
                )
                s.add(user)
            elif not user.is_active:
                raise UserError("Your account is deactivated.")
            elif mapped_role is not None:
                user.role = mapped_role.value
            try:
                _email_taken(s, email, user.id)
            except UserError:
                raise UserError(
                    f"Another account here already has the e-mail {email}; an admin must "
                    "change or remove it before you can sign in."
                ) from None
            user.email = email
            user.groups = groups
            user.display_name = display_name or user.display_name
            s.flush()
        if existed:
            self._changed(user.id)
        return user

    def get(self, user_id: int) -> User | None:
        """An account by id."""
        with self._db.session() as s:
            return s.get(User, user_id)

    def by_username(self, username: str) -> User | None:
        """An account by name."""
        with self._db.session() as s:
            return s.scalar(select(User).where(User.username == username))

    def list(self) -> list[User]:
        """Every account, by name."""
        with self._db.session() as s:
            return list(s.scalars(select(User).order_by(User.username)))

    def names(self, user_ids: Collection[int]) -> dict[int, str]:
        """The usernames of these accounts (those that exist), by id."""
        if not user_ids:
            return {}
        query = select(User.id, User.username).where(User.id.in_(list(user_ids)))
        with self._db.session() as s:
            return {user_id: name for user_id, name in s.execute(query)}

    def authenticate(self, username: str, password: str) -> User | None:
        """The active account these credentials sign in, or ``None``."""
        user = self.by_username(username)
        ok = verify_password(user.password_hash if user else None, password)
        return user if ok and user is not None and user.is_active else None

    def update(
        self,
        user_id: int,
        *,
        role: Role | None = None,
        password: str | None = None,
        is_active: bool | None = None,
        email: str | None = None,
        timezone: str | None = None,
        groups: Sequence[str] | None = None,
    ) -> User | None:
        """Change an account's role, password, active flag or e-mail (``""`` removes it), time
        zone (``""``: the server's) or groups (an account that signs in with single sign-on
        gets its groups from the identity provider)."""
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
        new_email = normalize_email(email) if email is not None else None
        with _unique_email(new_email), self._db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                return None
            if email is not None:
                _email_taken(s, new_email, user_id)
                user.email = new_email
            if role is not None:
                user.role = Role(role).value
            if password is not None:
                user.password_hash = hash_password(password)
            if is_active is not None:
                user.is_active = is_active
            if timezone is not None:
                user.timezone = timezone or None
            if groups is not None:
                if user.single_sign_on:
                    raise UserError(
                        f"{user.username} signs in with single sign-on: their groups come from "
                        "the identity provider at each sign-in."
                    )
                user.groups = sorted({g.strip() for g in groups if g.strip()})
        self._changed(user_id)
        return user
