"""Login: local and directory (LDAP) password checks, login sessions, throttling and
lockout."""
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func

from werkzeug.security import check_password_hash, generate_password_hash

from ..directory import services as directory
from ..directory.ldap import DirectoryMisconfigured, DirectoryUnavailable, InvalidCredentials
from ..extensions import db
from ..models_base import utcnow
from ..users import sessions
from ..users.services import find_user
from .models import LoginAttempt


_DUMMY_HASH = generate_password_hash("not a password of anybody")


class LoginRefused(Exception):
    """Shown on the login form as it is; never says whether the username exists. What was
    noted before it (the failed attempt, a deactivated directory account) is meant to be
    kept: the caller commits it although it refuses the login."""


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


def authenticate(username, password, address, user_agent=""):
    """Check a password: the local one for local accounts, else the directory's (LDAP) when
    that login is switched on; starts a login session. Raises LoginRefused with a message for
    the login form."""
    username = (username or "").strip().lower()
    # Empty passwords are refused here: some directories treat them as an anonymous bind.
    if not username or not password:
        raise LoginRefused(_l("Please enter username and password."))
    if _locked_out(username, address):
        # Not recorded: the lockout must end on its own instead of growing with each try.
        raise LoginRefused(_l("Too many failed attempts. Login is locked for a while; "
                              "please try again later or ask an administrator."))
    user = find_user(username)
    if user is None or user.auth_source == "ldap":
        directory_user = _directory_login(username, password, address, user)
        if directory_user is not None:
            return _logged_in(directory_user, username, address, user_agent)
    elif user.auth_source == "local":
        if user.active and user.check_password(password):
            return _logged_in(user, username, address, user_agent)
    else:
        check_password_hash(_DUMMY_HASH, password)
    # Unknown users, wrong passwords, disabled and provider-only accounts: one message.
    _note(username, address, False)
    raise LoginRefused(WRONG)


WRONG = _l("Username or password is wrong, or the account is disabled.")


def _logged_in(user, username, address, user_agent):
    _note(username, address, True)
    user.last_login_at = utcnow()
    sessions.start_session(user, address, user_agent)
    return user


def _directory_login(username, password, address, user):
    """The local copy of a directory user whose password the directory accepted; None for a
    wrong password or unknown user (or when LDAP login is off). A directory that is down or
    misconfigured raises LoginRefused: local accounts keep working all the same."""
    try:
        setup = directory.ldap_settings()
    except directory.SettingsUnusable as error:
        current_app.logger.error("LDAP login unavailable: %s", error)
        raise LoginRefused(MISCONFIGURED) from error
    if not setup.enabled or (user is not None and not user.active):
        # Spend the time of a check anyway, so timing does not reveal unknown usernames.
        check_password_hash(_DUMMY_HASH, password)
        return None
    try:
        return directory.ldap_login(setup, username, password, user)
    except InvalidCredentials:
        return None
    except DirectoryUnavailable as error:
        # Not recorded as a failed attempt: the person did nothing wrong.
        current_app.logger.warning("LDAP login of %r failed, directory unavailable: %s", username, error)
        raise LoginRefused(_l("The staff directory cannot be reached at the moment. Please try "
                              "again later; local accounts can still log in.")) from error
    except DirectoryMisconfigured as error:
        current_app.logger.error("LDAP login of %r failed, directory misconfigured: %s", username, error)
        raise LoginRefused(MISCONFIGURED) from error
    except directory.NoAccess as refusal:
        current_app.logger.info("LDAP login of %r refused: no mapped group", username)
        _note(username, address, False)
        raise LoginRefused(refusal.message) from refusal


MISCONFIGURED = _l("Login with the staff directory is not working because of a configuration "
                   "problem. Please tell your administrator; local accounts can still log in.")


def external_login(user, username, address, user_agent=""):
    """Finish a login another service (the OpenID Connect provider) vouched for."""
    return _logged_in(user, username, address, user_agent)


def _note(username, address, success):
    db.session.add(LoginAttempt(username=username[:64], address=(address or "")[:45], success=success))


def load_user(user_id):
    """Flask-Login loader: the id carries the login session's token; only a live session of
    an active user is logged in (users/sessions.py)."""
    try:
        raw_id, token = str(user_id).split(":", 1)
        user_id = int(raw_id)
    except (ValueError, TypeError):
        return None
    if not 0 < user_id < 2 ** 63:
        return None
    return sessions.resume_session(user_id, token)


def logout(user):
    """End the session `user` is logged in with: a copy of its cookie no longer works."""
    sessions.end_session(user.login_session)


def prune_login_attempts(older_than_days=30):
    """Drop attempts nobody needs any more (job run by the worker's scheduler, and a CLI
    command); the caller commits."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    return result.rowcount

