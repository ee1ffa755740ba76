"""Column helpers shared by the domain models."""
from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column


# Table options of every table whose ids outlive its rows: in the change log, in orders and in
# queued jobs. SQLite reuses a deleted row's id unless the table is AUTOINCREMENT, and a new
# record would inherit its predecessor's history; PostgreSQL's sequences never reuse an id.
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}


def utcnow():
    return datetime.now(timezone.utc)


def fold_text(text):
    """`text` as searches compare it: lower case, ß as ss (None stays None). Here, below the
    models, because a model stores a name folded for its search (InterfaceService)."""
    return None if text is None else text.lower().replace("ß", "ss")


class UTC(TypeDecorator):
    """Timestamps are stored as UTC; SQLite drops the tzinfo, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime stored in a UTC column")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Tracked:
    """Who saved a record last and when, plus a version counter for optimistic locking.
    The editor is kept by name so deleting a user never orphans or blocks history."""

    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTC, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
