"""Login: local and directory (LDAP) password checks, login sessions, throttling and the
locks administrators lift (policy in docs/security.md)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, update

from werkzeug.security import check_password_hash, generate_password_hash

from ..changelog import services as changelog
from ..directory import services as directory
from ..directory import settings as directory_settings
from ..directory.ldap import DirectoryMisconfigured, DirectoryUnavailable, InvalidCredentials
from ..extensions import db
from ..models_base import utcnow
from ..permissions import admin_only, require_admin
from ..users import sessions
from ..users.services import find_user
from .models import LoginAttempt


_DUMMY_HASH = generate_password_hash("not a password of anybody")


class LoginRefused(Exception):
    """Shown on the login form as it is; never says whether the username exists. What was
    noted before it (the failed attempt, a deactivated directory account) is meant to be
    kept: the caller commits it although it refuses the login."""


# --- throttling ---------------------------------------------------------------------------
# A lock is per username *and* client address, plus a cap per address for any username: an
# attacker's failures from elsewhere never lock the owner out (docs/security.md).

def _client(address):
    return (address or "")[:45]


def _account_rule():
    """(period, limit): failures of one username from one address that lock it there."""
    config = current_app.config
    seconds = min(config["LOGIN_WINDOW_SECONDS"], config["LOGIN_LOCKOUT_SECONDS"])
    return timedelta(seconds=seconds), config["LOGIN_MAX_FAILURES_PER_USER"]


def _address_rule():
    """(period, limit): failures from one address, any username, that lock the address."""
    config = current_app.config
    return timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]), config["LOGIN_MAX_FAILURES_PER_IP"]


def _key(username, address):
    """The attempts of one lock: a username from an address, or (username None) an address."""
    conditions = [LoginAttempt.address == _client(address)]
    if username is not None:
        conditions.append(LoginAttempt.username == username[:64])
    return conditions


def _counting(period, *conditions):
    """Failures that count now: within `period`, not cleared by a login or an administrator."""
    return (LoginAttempt.success.is_(False), LoginAttempt.cleared.is_(False),
            LoginAttempt.at >= utcnow() - period, *conditions)


def _failures(period, *conditions):
    return db.session.scalar(db.select(func.count()).select_from(LoginAttempt)
                             .where(*_counting(period, *conditions)))


def _locked_out(username, address):
    """Too many recent failures for this username from this address, or from this address."""
    for rule, user in ((_account_rule(), username), (_address_rule(), None)):
        period, limit = rule
        if _failures(period, *_key(user, address)) >= limit:
            return True
    return False


def _clear(*conditions):
    """Failures matching `conditions` stop counting (they stay on record); returns how many."""
    result = db.session.execute(
        update(LoginAttempt).where(LoginAttempt.success.is_(False), LoginAttempt.cleared.is_(False),
                                   *conditions)
        .values(cleared=True).execution_options(synchronize_session=False))
    return result.rowcount


@dataclass(frozen=True)
class Lock:
    """A lock in force: `username` from `address`, or (username None) anybody from `address`.
    `id` is its newest failure's: the change log names the lock by it."""
    id: int
    username: str | None
    address: str
    failures: int
    until: datetime

    def __str__(self):
        return f"{self.username} @ {self.address}" if self.username is not None else self.address


def _lock(username, address, rule):
    """The lock on this key, None when there is none."""
    period, limit = rule
    counting = _counting(period, *_key(username, address))
    failures, newest = db.session.execute(
        db.select(func.count(), func.max(LoginAttempt.id)).where(*counting)).one()
    if failures < limit:
        return None
    # Refused attempts are not recorded, so the lock ends when its limit-th newest failure
    # leaves the period.
    last_counting = db.session.scalar(
        db.select(LoginAttempt.at).where(*counting)
        .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc()).offset(limit - 1).limit(1))
    return Lock(newest, username, _client(address), failures, last_counting + period)


def lock_actions(actor):
    """Login locks are the administrators' to see and lift."""
    return admin_only(actor)


def current_locks(actor):
    """The locks in force now: (username-and-address locks, address locks), latest first."""
    require_admin(actor)
    found = []
    for rule, keys in ((_account_rule(), (LoginAttempt.username, LoginAttempt.address)),
                       (_address_rule(), (LoginAttempt.address,))):
        period, limit = rule
        rows = db.session.execute(
            db.select(*keys).where(*_counting(period)).group_by(*keys)
            .having(func.count() >= limit)).all()
        locks = [_lock(row[0] if len(keys) == 2 else None, row[-1], rule) for row in rows]
        found.append(sorted((lock for lock in locks if lock), key=lambda lock: lock.until,
                            reverse=True))
    return tuple(found)


def lift_lock(actor, username, address):
    """An administrator lets `username` (without one: anybody) log in from `address` again.
    Its failures stop counting; logged. Returns the lock, None when it had ended already."""
    require_admin(actor)
    username = (username or "").strip().lower() or None
    lock = _lock(username, address, _account_rule() if username is not None else _address_rule())
    if lock is None:
        return None
    _clear(*_key(username, address))
    changelog.record(actor, "update", "login_lock", lock,
                     changelog.diff({"failures": lock.failures}, {"failures": 0}))
    return lock


# --- login ----------------------------------------------------------------------------------

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
    # The owner's own typos from here stop counting; an attacker's elsewhere still do.
    _clear(*_key(username, address))
    user.last_login_at = utcnow()
    sessions.start_session(user, address, user_agent)
    return user


def _directory_login(username, password, address, user):
    """The local copy of a directory user whose password the directory accepted; None for a
    wrong password or unknown user (or when LDAP login is off: the chain's LDAP service is
    disabled or not started, or there is none and the configuration has no LDAP_URL). A directory that is down or
    misconfigured raises LoginRefused: local accounts keep working all the same."""
    try:
        setup = directory_settings.ldap_settings()
    except directory_settings.SettingsUnusable as error:
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
    db.session.add(LoginAttempt(username=username[:64], address=_client(address), success=success))


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

