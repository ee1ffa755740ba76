"""Login sessions: the server's record of each login. The session cookie carries the
session's token (User.get_id); the table keeps only its hash. A request counts as logged in
only while its session is live: not ended (logout, a new password, deactivation, an
administrator), used within SESSION_IDLE_MINUTES, and younger than PERMANENT_SESSION_LIFETIME.
Services here flush; the request commits."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, or_, update

from ..extensions import db
from ..models_base import utcnow
from ..org.models import Chain
from ..org.services import CHAIN_SETTINGS, note_chain_settings
from .models import LoginSession, User

# A request notes that the session is in use only when this much time has passed since it
# was last noted: the idle expiry needs minutes, not a database write per request.
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _live_since(now):
    """(last seen after, created after): the bounds a live session is within."""
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return now - idle, now - current_app.permanent_session_lifetime


def _live(now):
    seen_after, created_after = _live_since(now)
    return (LoginSession.ended_at.is_(None), LoginSession.last_seen_at > seen_after,
            LoginSession.created_at > created_after)


def start_session(user, address, user_agent):
    """Record a new login of `user` from this client and attach it to `user`, whose get_id()
    then carries its token for Flask-Login's login_user; flushes."""
    token = secrets.token_urlsafe(32)
    record = LoginSession(user=user, token_hash=_digest(token), address=(address or "")[:45],
                          user_agent=(user_agent or "")[:255])
    db.session.add(record)
    db.session.flush()
    user.login_session, user.login_token = record, token
    return record


# Every logged-in request runs this statement: built once with parameters rather than per
# request (~0.1 ms of SQL expression building, issue 15). One statement with the user, the
# session's id and last use (its record is read only when asked for: a fifth of the
# statement's time was building a second entity) and the chain's settings, which most
# pages read next (org.services.chain_settings): one statement fewer per page.
_RESUME = (db.select(User, LoginSession.id, LoginSession.last_seen_at, *CHAIN_SETTINGS)
           .join(LoginSession, LoginSession.user_id == User.id)
           .outerjoin(Chain, Chain.id == 1)  # the one chain
           .where(LoginSession.token_hash == bindparam("digest"),
                  User.id == bindparam("user_id"),
                  LoginSession.ended_at.is_(None),
                  LoginSession.last_seen_at > bindparam("seen_after"),
                  LoginSession.created_at > bindparam("created_after")))


def resume_session(user_id, token):
    """The active user whose live session has this token, with the session attached; None
    for an ended, idle or too old session. Notes the use at most once per TOUCH_EVERY."""
    now = utcnow()
    seen_after, created_after = _live_since(now)
    found = db.session.execute(_RESUME, {
        "digest": _digest(token), "user_id": user_id, "seen_after": seen_after,
        "created_after": created_after}).first()
    if found is None:
        return None
    user, session_id, last_seen_at, *chain = found
    note_chain_settings(chain)
    if not user.active:
        return None
    user.login_session_id, user.login_token = session_id, token
    if now - last_seen_at >= TOUCH_EVERY:
        # Written with the request's commit, as any change: the record is read for it.
        user.login_session.last_seen_at = now
    return user


def end_session(record):
    """End one session (logout); flushes."""
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()
        db.session.flush()


def end_sessions(user, keep=None):
    """End every live session of `user` but `keep` (the session the change was made in);
    returns how many ended."""
    now = utcnow()
    query = update(LoginSession).where(LoginSession.user_id == user.id, *_live(now))
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    result = db.session.execute(query.values(ended_at=now).execution_options(
        synchronize_session="fetch"))
    return result.rowcount


def live_sessions(user):
    """The user's live sessions, most recently used first."""
    return db.session.scalars(
        db.select(LoginSession).where(LoginSession.user_id == user.id, *_live(utcnow()))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())).all()


def prune_sessions(older_than_days=30):
    """Delete sessions ended, or unused, more than `older_than_days` ago (the daily
    maintenance job and a CLI command); returns how many. The caller commits."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(delete(LoginSession).where(
        or_(LoginSession.ended_at < cutoff, LoginSession.last_seen_at < cutoff)))
    return result.rowcount

