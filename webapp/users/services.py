"""Rules for user accounts: administration by admins, and each user's own account page."""
import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from ..changelog import services as changelog
from ..errors import DomainError, InUse
from ..extensions import db
from ..org.models import Branch
from ..permissions import admin_only, require_admin
from ..records import check_version, contains, flush_unique, save_changes, taken
from . import sessions
from .models import ADMIN, ROLES, User, user_branches

USERNAME_PATTERN = r"^[a-z0-9._@-]+$"
PROFILE_FIELDS = ("username", "name", "email", "phone", "role", "active")
PREFERENCE_FIELDS = (
    "preferred_language", "notify_order_errors", "notify_order_delivered",
    "notify_chat_messages", "notify_interface_failures",
)
USER_FIELDS = PROFILE_FIELDS + PREFERENCE_FIELDS
# Pseudo-field of the change log: records that the password changed, never a value.
PASSWORD = "password"
# Pseudo-field of the change log: the number of active sessions, when an admin ends them.
SESSIONS = "sessions"
DIRECTORY_MANAGED = _l("The password of this user is managed by the directory (LDAP / single "
                       "sign-on) and cannot be set here.")



def user_actions(actor, user=None):
    """Users are the administrators' (everyone changes their own account under /account)."""
    return admin_only(actor)


def search_users(q="", role="", page=1, per_page=25):
    """Users matching `q` in username, name or e-mail, optionally of one role."""
    query = (db.select(User).options(selectinload(User.branches))
             .order_by(func.lower(User.name), User.username))
    if q:
        query = query.where(or_(
            contains(User.username, q),
            contains(User.name, q),
            contains(User.email, q),
        ))
    if role in ROLES:
        query = query.where(User.role == role)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def find_user(username):
    """The user with this username, whatever its case; None when there is none."""
    return db.session.scalar(db.select(User).where(func.lower(User.username) == username.lower()))


def new_user_defaults():
    """What a new user starts with: the model's column defaults (role, active, language,
    notifications)."""
    return {
        column.name: column.default.arg
        for column in User.__table__.columns
        if column.name in USER_FIELDS and column.default is not None and column.default.is_scalar
    }


# --- administration ----------------------------------------------------------------------

def create_user(actor, data):
    """Create a local user with an initial password."""
    require_admin(actor)
    data = _normalised(data)
    branches = _check(actor, data, None)
    if not data.get(PASSWORD):
        raise DomainError(_l("A new user needs an initial password."), field=PASSWORD)
    _check_password_policy(data[PASSWORD], PASSWORD)
    user = User(auth_source="local")
    save_user(actor, user, data, branches, data[PASSWORD])
    return user


def update_user(actor, user, data, version):
    """Change a user's profile, branches, preferences and, when given, password.
    Returns True when something changed."""
    require_admin(actor)
    check_version(user, version)
    data = _normalised(data)
    branches = _check(actor, data, user)
    if data.get(PASSWORD):
        if user.auth_source != "local":
            raise DomainError(DIRECTORY_MANAGED, field=PASSWORD)
        _check_password_policy(data[PASSWORD], PASSWORD)
    return save_user(actor, user, data, branches, data.get(PASSWORD))


def users_of_branch(branch):
    """The users who work at the branch: they keep it from being deleted (registered with
    webapp.references by the factory)."""
    names = db.session.scalars(
        db.select(User.name).join(user_branches).where(user_branches.c.branch_id == branch.id)
        .order_by(User.name)).all()
    return [_l("users: %(names)s", names=", ".join(names))] if names else []


def user_references(user):
    """What still refers to a user. Change-log entries keep the name and never block a
    delete; later orders or chats will be listed here."""
    return []


def delete_user(actor, user):
    require_admin(actor)
    if _removes_last_admin(user, role=None, active=False):
        raise DomainError(_l("The last active administrator cannot be deleted."))
    if user.id == actor.id:
        raise DomainError(_l("You cannot delete your own account."))
    refs = user_references(user)
    if refs:
        raise InUse(_l("The user is still referenced (%(refs)s).", refs="; ".join(str(r) for r in refs)))
    changelog.record(actor, "delete", "user", user)
    db.session.delete(user)
    db.session.flush()


def _normalised(data):
    data = dict(data)
    for name in ("username", "name", "email", "phone"):
        data[name] = (data.get(name) or "").strip()
    data["username"] = data["username"].lower()
    return data


def _check(actor, data, user):
    """Every rule of the administration form; returns the chosen branches."""
    if not re.fullmatch(USERNAME_PATTERN, data["username"]) or len(data["username"]) > 64:
        raise DomainError(_l("Letters, digits and . - _ @ only, at most 64 characters."),
                          field="username")
    if taken(User, "username", data["username"], user.id if user else None):
        raise DomainError(_l("This username is already taken."), field="username")
    if data.get("role") not in ROLES:
        raise DomainError(_l("Choose one of the roles."), field="role")
    _check_language(data)
    if user is not None:
        _check_admin_rules(actor, user, data)
    branches = _branches(data.get("branch_ids") or [])
    if data["role"] != ADMIN and not branches:
        raise DomainError(_l("Branch managers and staff need at least one branch."), field="branch_ids")
    return branches


def _check_language(data):
    if "preferred_language" in data and data["preferred_language"] not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose one of the languages."), field="preferred_language")


def _branches(ids):
    ids = set(ids)
    found = db.session.scalars(db.select(Branch).where(Branch.id.in_(ids))).all() if ids else []
    if len(found) != len(ids):
        raise DomainError(_l("Choose existing branches only."), field="branch_ids")
    return list(found)


def _removes_last_admin(user, role, active):
    """True when `user` is the only active administrator and would stop being one."""
    if user.role != ADMIN or not user.active or (role == ADMIN and active):
        return False
    others = db.session.scalar(
        db.select(func.count()).select_from(User)
        .where(User.role == ADMIN, User.active.is_(True), User.id != user.id)
    )
    return others == 0


def _check_admin_rules(actor, user, data):
    """Keep at least one active administrator, and keep admins from locking themselves out."""
    demoted = data["role"] != ADMIN
    field = "role" if demoted else "active"
    if _removes_last_admin(user, data["role"], data.get("active", user.active)):
        raise DomainError(_l("The last active administrator must keep the administrator role.")
                          if demoted else _l("The last active administrator cannot be deactivated."),
                          field=field)
    if user.id == actor.id and user.role == ADMIN and demoted:
        raise DomainError(_l("You cannot take away your own administrator role."), field=field)
    if user.id == actor.id and not data.get("active", True):
        raise DomainError(_l("You cannot deactivate your own account."), field="active")


def check_password_policy(password):
    """The chain's policy: at least 8 characters, a lower- and an upper-case letter, and a
    digit or special character. Returns the list of unmet rules."""
    problems = []
    if len(password) < 8:
        problems.append(_l("at least 8 characters"))
    if not re.search(r"[a-zäöüß]", password):
        problems.append(_l("a lower-case letter"))
    if not re.search(r"[A-ZÄÖÜ]", password):
        problems.append(_l("an upper-case letter"))
    if not re.search(r"[^A-Za-zÄÖÜäöüß]", password):
        problems.append(_l("a digit or special character"))
    return problems


def _check_password_policy(password, field):
    problems = check_password_policy(password)
    if problems:
        raise DomainError(_l("The password needs %(rules)s.", rules=", ".join(str(p) for p in problems)),
                          field=field)


def end_other_sessions(user, actor):
    """End the user's sessions but the one `actor` works in (their own password change keeps
    them logged in); returns how many ended."""
    return sessions.end_sessions(user, keep=getattr(actor, "login_session", None))


def user_sessions(actor, user):
    """The user's live sessions, for an administrator."""
    require_admin(actor)
    return sessions.live_sessions(user)


def end_all_sessions(actor, user):
    """An administrator logs the user out everywhere ("Alle Sitzungen beenden"); their own
    current session stays. Logged as the number of active sessions; returns how many ended."""
    require_admin(actor)
    before = len(sessions.live_sessions(user))
    ended = end_other_sessions(user, actor)
    changes = changelog.diff({SESSIONS: before}, {SESSIONS: before - ended})
    if changes:
        changelog.record(actor, "update", "user", user, changes)
    return ended


def _logged_branches(user):
    # Under the form field's name (branch_ids), so every history shows them with the same
    # label, whoever changed them.
    return {"branch_ids": ", ".join(sorted(branch.name for branch in user.branches))}


def save_user(actor, user, data, branches=None, password=None, fields=USER_FIELDS):
    """Apply those of `fields` that `data` has, the branches and a new password to a new or
    existing user and log what changed (the password only as 'changed'); flushes. A new
    password or a deactivation ends the user's other sessions. Returns True when something
    changed."""
    before = _logged_branches(user) if branches is not None else {}
    if branches is not None:
        user.branches = branches
    if password:
        user.set_password(password)
    after = _logged_branches(user) if branches is not None else {}
    if password:
        after[PASSWORD] = True
    if password or (user.active and not data.get("active", True)):
        end_other_sessions(user, actor)
    if user.id is None:
        _add(actor, user, data, fields, after)
        return True
    return save_changes(actor, user, fields, data, None, "user", extra_before=before,
                        extra_after=after, secret_fields=(PASSWORD,))


def _add(actor, user, data, fields, extra):
    for name in fields:
        if name in data:
            setattr(user, name, data[name])
    user.updated_by = actor.name
    db.session.add(user)
    db.session.flush()
    after = {**changelog.snapshot(user, fields), **extra}
    changelog.record(actor, "create", "user", user, changelog.diff({}, after, secret_fields=(PASSWORD,)))
    flush_unique(user)


# --- own account -------------------------------------------------------------------------

def update_preferences(user, data):
    """A user's own language and notification choices. Returns True when something changed."""
    values = {name: data[name] for name in PREFERENCE_FIELDS if name in data}
    _check_language(values)
    return save_user(user, user, values)


def change_own_password(user, current, new):
    """Change one's own local password after checking the current one; ends the user's
    other sessions; the one the change is made in stays."""
    if user.auth_source != "local":
        raise DomainError(DIRECTORY_MANAGED)
    if not user.check_password(current or ""):
        raise DomainError(_l("The current password is not correct."), field="current")
    if new == current:
        raise DomainError(_l("The new password must differ from the current one."), field="new")
    _check_password_policy(new or "", "new")
    save_user(user, user, {}, password=new)
