"""Local login: password checks, throttling and lockout, safe redirects after login."""
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func

from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models_base import utcnow
from ..users.models import User
from .models import LoginAttempt


_DUMMY_HASH = generate_password_hash("not a password of anybody")


class LoginRefused(Exception):
    """Shown on the login form as it is; never says whether the username exists."""


def _window_start():
    return utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])


def _recent_failures(column, value, since):
    return db.session.scalar(
        db.select(func.count()).select_from(LoginAttempt)
        .where(column == value, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    )


def _locked_out(username, address):
    """Too many recent failures for this username, or from this address."""
    config = current_app.config
    lock_since = utcnow() - timedelta(seconds=config["LOGIN_LOCKOUT_SECONDS"])
    since = max(_window_start(), lock_since)
    last_success = db.session.scalar(
        db.select(func.max(LoginAttempt.at))
        .where(LoginAttempt.username == username, LoginAttempt.success.is_(True))
    )
    if last_success is not None and last_success > since:
        since = last_success
    if _recent_failures(LoginAttempt.username, username, since) >= config["LOGIN_MAX_FAILURES_PER_USER"]:
        return True
    return _recent_failures(LoginAttempt.address, address, _window_start()) >= config["LOGIN_MAX_FAILURES_PER_IP"]


def authenticate(username, password, address):
    """Check a local password. Raises LoginRefused with a message for the login form."""
    username = (username or "").strip().lower()
    if not username or not password:
        raise LoginRefused(_l("Please enter username and password."))
    if _locked_out(username, address):
        # Not recorded: the lockout must end on its own instead of growing with each try.
        raise LoginRefused(_l("Too many failed attempts. Login is locked for a while; "
                              "please try again later or ask an administrator."))
    user = db.session.scalar(db.select(User).where(func.lower(User.username) == username))
    if user is None:
        # Spend the time of a hash check anyway, so timing does not reveal unknown usernames.
        check_password_hash(_DUMMY_HASH, password)
    if user is None or not user.active or not user.check_password(password):
        _note(username, address, False)
        db.session.commit()
        raise LoginRefused(_l("Username or password is wrong, or the account is disabled."))
    _note(username, address, True)
    user.last_login_at = utcnow()
    if not user.session_token:
        user.session_token = secrets.token_hex(8)
    db.session.commit()
    return user


def _note(username, address, success):
    db.session.add(LoginAttempt(username=username[:64], address=(address or "")[:45], success=success))


def load_user(user_id):
    """Flask-Login loader: the id carries the session token, so changing the password or
    deactivating the account ends every other session."""
    try:
        raw_id, token = str(user_id).split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def end_other_sessions(user):
    user.session_token = secrets.token_hex(8)


def prune_login_attempts(older_than_days=30):
    """Drop attempts nobody needs any more (job run by the worker's scheduler)."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    db.session.commit()
    return result.rowcount


def safe_next(target):
    """Only paths of this application: no scheme, no host, no protocol-relative '//'."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    return target
