"""Users (Benutzer / Mitarbeiter) and the branches they belong to."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models_base import IDS_NEVER_REUSED, UTC, Tracked, utcnow
from ..permissions import ADMIN, ROLES, STAFF
from ..org.models import Branch

AUTH_SOURCES = ("local", "ldap", "oidc")

user_branches = Table(
    "user_branches",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branches.id"), primary_key=True, index=True),
)


class User(UserMixin, Tracked, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        CheckConstraint(f"auth_source IN {AUTH_SOURCES!r}", name="auth_source"),
        IDS_NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    role: Mapped[str] = mapped_column(String(20), default=STAFF)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    preferred_language: Mapped[str] = mapped_column(String(5), default="de")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Where the account comes from: created here, or provisioned by LDAP / OpenID Connect.
    auth_source: Mapped[str] = mapped_column(String(10), default="local")
    external_id: Mapped[str | None] = mapped_column(String(255))
    notify_order_errors: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_order_delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_chat_messages: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_interface_failures: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTC)

    branches: Mapped[list[Branch]] = relationship(secondary=user_branches, order_by=Branch.name)

    # The login session the request runs in (its id) and its token, attached at login and by
    # the user loader (users/sessions.py); not columns: the database keeps only the token's
    # hash.
    login_session_id = None
    login_token = None
    _login_session = None

    @property
    def login_session(self):
        """The LoginSession record of the request's login, read when first asked for: most
        requests need none of it (issue 15)."""
        if self._login_session is None and self.login_session_id is not None:
            self._login_session = db.session.get(LoginSession, self.login_session_id)
        return self._login_session

    @login_session.setter
    def login_session(self, record):
        self._login_session, self.login_session_id = record, record.id

    # Flask-Login: an inactive user is logged out on the next request.
    @property
    def is_active(self):
        return self.active

    def get_id(self):
        # What Flask-Login keeps in the session cookie: the user and the login session's token.
        return f"{self.id}:{self.login_token}"

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_admin(self):
        return self.role == ADMIN

    @property
    def branch_ids(self):
        return {branch.id for branch in self.branches}

    def __str__(self):
        return self.name


class LoginSession(db.Model):
    """One login, so that it can end for real: logout, a new password, deactivation and an
    administrator end it, and it expires when idle. The session cookie carries a random
    token; only its SHA-256 is stored, so a copy of this table logs nobody in."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow)
    # Written at most once a minute (sessions.TOUCH_EVERY), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTC, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTC)
    address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship()
