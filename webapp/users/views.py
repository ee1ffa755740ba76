"""User administration (admins change, everybody reads) and each user's own account page."""
from types import SimpleNamespace

from flask import current_app, flash, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, refresh
from flask_login import current_user
from wtforms import SelectChoice

from .. import hx, params
from ..permissions import EDIT, require_admin
from ..changelog.display import in_words
from ..changelog.services import record_history
from ..errors import DomainError
from ..extensions import db
from ..forms import apply_domain_error
from ..org.services import all_branches
from ..views_helpers import after_save, delete_response, refusal_status
from . import bp, services, sessions
from .forms import POLICY_HINT, NewUserForm, PasswordChangeForm, PreferencesForm, UserForm
from .models import ROLES, User

AUTH_SOURCES = {
    "local": _l("Local password"),
    "ldap": _l("Directory (LDAP)"),
    "oidc": _l("Single sign-on (OpenID Connect)"),
}


def auth_source_label(source):
    return AUTH_SOURCES.get(source, source)


def _list_context():
    q = params.text(request.args, "q")
    role = request.args.get("role", "")
    role = role if role in ROLES else ""
    pagination = services.search_users(q, role, params.page(request.args),
                                       current_app.config["PAGE_SIZE"])
    return dict(pagination=pagination, q=q, role_filter=role, roles=ROLES)


def _branch_choices(form):
    form.branch_ids.choices = [SelectChoice(branch.id, branch.name) for branch in all_branches()]


# --- administration ----------------------------------------------------------------------

@bp.get("/users/")
def users():
    """Searchable list of users, filterable by role; htmx searches get only the list."""
    context = _list_context()
    if hx.wants_fragment():
        return render_template("users/_user_list.html", **context)
    return render_template("users/users.html", form=None, user=None,
                           may=services.user_actions(current_user), **context)


# What higher layers add below a user's editor (cards: the employee card), registered by the
# factory: name → build(user, actor) → (template, context) or None.
_user_parts = {}


def register_user_part(name, build):
    _user_parts[name] = build


def user_parts(user):
    found = (build(user, current_user) for build in _user_parts.values()) if user else ()
    return [SimpleNamespace(template=template, **context)
            for template, context in (part for part in found if part is not None)]


def _user_editor(form, user, status=200, notice=None):
    """The editor pane: a fragment for htmx, otherwise the whole page with the list."""
    may = services.user_actions(current_user, user)
    context = dict(form=form, user=user, notice=notice, editable=EDIT in may, may=may,
                   parts=user_parts(user),
                   history=in_words(record_history("user", user)) if user else [],
                   sessions=services.user_sessions(current_user, user) if user and EDIT in may
                   else [],
                   current_session=current_user.login_session, auth_source_label=auth_source_label)
    if hx.wants_fragment():
        return render_template("users/_user_form.html", **context), status
    return render_template("users/users.html", **_list_context(), **context), status


def _refused(form, error):
    apply_domain_error(form, error)


@bp.get("/users/new")
def user_new_get():
    require_admin(current_user)
    form = NewUserForm(**services.new_user_defaults())
    _branch_choices(form)
    return _user_editor(form, None)


@bp.post("/users/new")
def user_new_post():
    # Checked before validation too, so non-admins get 403 rather than field messages.
    require_admin(current_user)
    form = NewUserForm()
    _branch_choices(form)
    if form.validate_on_submit():
        try:
            user = services.create_user(current_user, form.data)
        except DomainError as error:
            _refused(form, error)
        else:
            return after_save(user, url_for("users.user_get", user_id=user.id), "users-changed",
                              _("User created."), _user_editor, UserForm, created=True,
                              choices=_branch_choices)
    return _user_editor(form, None, status=refusal_status(form))


@bp.get("/users/<int:user_id>")
def user_get(user_id):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, version=user.version)
    _branch_choices(form)
    return _user_editor(form, user)


@bp.post("/users/<int:user_id>")
def user_post(user_id):
    user = db.get_or_404(User, user_id)
    require_admin(current_user)
    form = UserForm()
    _branch_choices(form)
    if form.validate_on_submit():
        try:
            saved = services.update_user(current_user, user, form.data, form.version.data)
        except DomainError as error:
            _refused(form, error)
        else:
            return after_save(user, url_for("users.user_get", user_id=user.id), "users-changed",
                              _("Saved.") if saved else _("No changes."), _user_editor, UserForm,
                              choices=_branch_choices)
    return _user_editor(form, user, status=refusal_status(form))


@bp.get("/users/<int:user_id>/delete")
def user_delete_get(user_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm)."""
    user = db.get_or_404(User, user_id)
    require_admin(current_user)
    return render_template("confirm_delete.html", record=user, kind=_("user"),
                           action=url_for("users.user_delete_post", user_id=user.id),
                           cancel=url_for("users.user_get", user_id=user.id))


@bp.post("/users/<int:user_id>/delete")
def user_delete_post(user_id):
    user = db.get_or_404(User, user_id)

    def refused(error):
        # formdata=None: the posted form holds only the CSRF token, not the user's values.
        form = UserForm(obj=user, formdata=None, version=user.version)
        _branch_choices(form)
        form.form_errors.append(str(error.message))
        return _user_editor(form, user, status=409)

    return delete_response(user, services.delete_user, "users.users", "users-changed", refused)


@bp.post("/users/<int:user_id>/sessions/end")
def user_sessions_end_post(user_id):
    """Alle Sitzungen beenden: the user is logged out everywhere (an admin's own current
    session stays)."""
    user = db.get_or_404(User, user_id)
    ended = services.end_all_sessions(current_user, user)
    notice = _("Sessions ended: %(num)s.", num=ended) if ended else _("No active sessions.")
    if not hx.wants_fragment():
        flash(notice, "success")
        return hx.redirect(url_for("users.user_get", user_id=user.id))
    # formdata=None: the posted form is the editor's, maybe with unsaved changes; the editor
    # shows the stored record again.
    form = UserForm(obj=user, formdata=None, version=user.version)
    _branch_choices(form)
    return _user_editor(form, user, notice=notice)


# --- own account -------------------------------------------------------------------------

def _account_page(fragment=None, preferences=None, password=None, status=200,
                  preferences_notice=None, password_notice=None):
    """The account page, or for htmx just the `fragment` of the form that was posted."""
    if preferences is None:
        preferences = PreferencesForm(obj=current_user, formdata=None)
    if password is None:
        password = PasswordChangeForm(formdata=None)
    context = dict(
        preferences_form=preferences, password_form=password,
        preferences_notice=preferences_notice, password_notice=password_notice,
        auth_source_label=auth_source_label, policy_hint=POLICY_HINT,
        sessions=sessions.live_sessions(current_user),
        current_session=current_user.login_session,
    )
    if fragment and hx.wants_fragment():
        return render_template(fragment, **context), status
    return render_template("users/account.html", **context), status


@bp.get("/account")
def account_get():
    """The logged-in user's own account: language, notifications, password and sessions."""
    return _account_page()


@bp.post("/account")
def account_post():
    form = PreferencesForm()
    if form.validate_on_submit():
        language = current_user.preferred_language
        try:
            saved = services.update_preferences(current_user, form.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            refresh()  # render from here on in the language just chosen
            notice = _("Saved.") if saved else _("No changes.")
            if current_user.preferred_language != language or not hx.wants_fragment():
                # A new language: the whole page reloads, so navigation switches too.
                flash(notice, "success")
                return hx.redirect(url_for("users.account_get"))
            return _account_page("users/_preferences_form.html", preferences_notice=notice)
    return _account_page("users/_preferences_form.html", preferences=form, status=422)


@bp.post("/account/password")
def password_post():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(current_user, form.current.data, form.new.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            notice = _("Your password has been changed. Your other sessions have been logged out.")
            if not hx.wants_fragment():
                flash(notice, "success")
                return hx.redirect(url_for("users.account_get"))
            return _account_page("users/_password_form.html", password_notice=notice)
    return _account_page("users/_password_form.html", password=form, status=422)
