"""One notification of one user. Several events about the same thing (three new messages of
one customer's chat) gather in one unread notification with a count, so the list stays short
and a badge counts things to look at, not events."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, UTC, utcnow


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
                      Index("ix_notifications_user_topic", "user_id", "topic"),
                      IDS_NEVER_REUSED)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A registered kind (how it reads and where it leads) and what it is about, e.g.
    # "sinno_chat" and "sinno_chat:customer:42"; events about one topic gather while unread.
    kind: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(String(120))
    # What the kind's text and link are made of (names, ids); never a secret.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTC)
