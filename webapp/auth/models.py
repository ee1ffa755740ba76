"""Login attempts, kept to throttle guessing per username and client address, and per
client address (docs/security.md)."""
from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTC, utcnow


class LoginAttempt(db.Model):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    # A failure stops counting (and is kept) once the same username logged in from the same
    # address, or an administrator lifted the lock.
    cleared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
