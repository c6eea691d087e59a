"""Tables of cost governance: rules, one-off raises and budget notices (see
:mod:`belvedere.costs`). Change them only together with a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from belvedere.store.models import Base, UTCDateTime, utcnow


class CostRule(Base):
    """On one connection, for a role, a group or a user (``scope``; ``subject`` is the role's
    name, the group's name, or the user's id as text): a cap on the bytes one query may bill,
    and budgets of bytes billed per day and per month. ``None``: no limit from this rule."""

    __tablename__ = "cost_rules"
    __table_args__ = (UniqueConstraint("connection_name", "scope", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    max_bytes_per_query: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    daily_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    monthly_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CostRaise(Base):
    """A one-off raise an admin granted: one query of the user on the connection may bill up to
    ``max_bytes``, beyond their cap and budget, until it expires; used by one run only."""

    __tablename__ = "cost_raises"
    __table_args__ = (Index("ix_cost_raises_user", "user_id", "connection_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    connection_name: Mapped[str] = mapped_column(String(100))
    max_bytes: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_by_run: Mapped[str | None] = mapped_column(String(32), nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class BudgetNotice(Base):
    """A budget reached 80% or 100% (``level``) in one period (``period`` ``day`` or
    ``month``, starting ``period_start``, e.g. ``2026-12-07`` or ``2026-12``): unique, so that
    each is told once, whichever server sees it first."""

    __tablename__ = "budget_notices"
    __table_args__ = (
        UniqueConstraint("connection_name", "scope", "subject", "period", "period_start", "level"),
        Index("ix_budget_notices_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[str] = mapped_column(String(10))
    level: Mapped[int] = mapped_column(Integer)
    spent: Mapped[int] = mapped_column(BigInteger)
    budget: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
