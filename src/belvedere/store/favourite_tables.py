"""Tables of the Home page: favourites and recent views (see :mod:`belvedere.home`). Change
them only together with a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from belvedere.store.models import Base, UTCDateTime, utcnow


class Favourite(Base):
    """A user starred an object: ``kind`` ``chart``, ``dashboard`` or ``saved_query``, and its
    id (no foreign key: a row whose object is gone or newer than the row is ignored)."""

    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("user_id", "kind", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecentView(Base):
    """When a user last opened a chart or a dashboard (one row each, kept to the latest)."""

    __tablename__ = "recent_views"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
