"""Login (local, LDAP, OpenID Connect), logout, and the login locks administrators lift."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import hx
from ..directory import oidc, services as directory
from ..directory import settings as directory_settings
from ..extensions import db, login_manager
from ..permissions import require_admin
from ..security import safe_next
from . import bp, services
from .forms import LiftLockForm, LoginForm

login_manager.user_loader(services.load_user)
login_manager.login_view = "auth.login_get"


def _login_page(form, status=200):
    return render_template("auth/login.html", form=form, oidc_provider=directory_settings.oidc_button()), status


@bp.get("/login")
def login_get():
    """The login page (also shows the language switch and the identity provider's button)."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return _login_page(LoginForm(next=request.args.get("next", "")))


@bp.post("/login")
def login_post():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data,
                                         request.remote_addr, request.user_agent.string)
        except services.LoginRefused as refused:
            current_app.logger.info("Login refused for %r from %s", form.username.data[:64],
                                    request.remote_addr)
            # The refusal answers 422, on which the unit of work rolls back; but the failed
            # attempt must count towards the lockout, and a directory account found without
            # access must stay deactivated.
            db.session.commit()
            form.form_errors.append(str(refused))
        else:
            login_user(user)
            return redirect(safe_next(form.next.data) or url_for("main.index"), 303)
    return _login_page(form, 422)


def _oidc_setup():
    """The OIDC settings when that login is on, else None (with the reason logged)."""
    try:
        setup = directory_settings.oidc_settings()
    except directory_settings.SettingsUnusable as error:
        current_app.logger.error("OpenID Connect login unavailable: %s", error)
        return None
    return setup if setup.enabled else None


def _back_to_login(message):
    flash(message, "error")
    return redirect(url_for("auth.login_get"), 303)


@bp.get("/login/oidc")
def oidc_login():
    """Send the browser to the identity provider (state, nonce and PKCE in the session).
    A link, not a form: CSP form-action 'self' would block a form's redirect to the provider."""
    setup = _oidc_setup()
    if setup is None:
        return _back_to_login(_("Login with an identity provider is not available."))
    session["oidc_next"] = safe_next(request.args.get("next")) or ""
    try:
        return oidc.authorize_redirect(setup.config, url_for("auth.oidc_callback", _external=True))
    except oidc.ProviderError as error:
        current_app.logger.error("OpenID Connect login cannot start: %s", error)
        return _back_to_login(_provider_error(setup, error))


def _provider_error(setup, error):
    if isinstance(error, oidc.ProviderUnavailable):
        return _("%(provider)s cannot be reached at the moment. Please try again later or log in "
                 "with username and password.", provider=setup.provider_name)
    return _("Login with %(provider)s is not working because of a configuration problem. Please "
             "tell your administrator.", provider=setup.provider_name)


@bp.get("/login/oidc/callback")
def oidc_callback():
    """The provider's answer: check it, find or create the local user, log in."""
    setup = _oidc_setup()
    if setup is None:
        return _back_to_login(_("Login with an identity provider is not available."))
    try:
        claims, id_token = oidc.finish_login(setup.config)
        user = directory.oidc_login(setup, claims)
    except oidc.LoginFailed as failure:
        current_app.logger.info("OpenID Connect login refused: %r", failure.detail)
        messages = {
            "denied": _("The login at %(provider)s was cancelled or refused.",
                        provider=setup.provider_name),
            "state": _("The login could not be completed: it was started in another window, took "
                       "too long or was already used. Please start again."),
        }
        return _back_to_login(messages.get(failure.kind) or _(
            "The login at %(provider)s failed. Please try again; if it keeps happening, tell your "
            "administrator.", provider=setup.provider_name))
    except oidc.ProviderError as error:
        current_app.logger.error("OpenID Connect login failed: %s", error)
        return _back_to_login(_provider_error(setup, error))
    except directory.NoAccess as refusal:
        current_app.logger.info("OpenID Connect login refused for subject %s: %s",
                                claims.get("sub"), refusal)
        return _back_to_login(str(refusal.message))
    services.external_login(user, user.username, request.remote_addr, request.user_agent.string)
    login_user(user)
    session["oidc_id_token"] = id_token
    return redirect(safe_next(session.pop("oidc_next", "")) or url_for("main.index"), 303)


@bp.post("/logout")
def logout_post():
    """Log out here, and at the identity provider when the login came from one that offers
    an end-session endpoint."""
    id_token = session.pop("oidc_id_token", None)
    services.logout(current_user)
    logout_user()
    provider_logout = None
    setup = _oidc_setup() if id_token else None
    if setup is not None:
        provider_logout = oidc.logout_url(setup.config, id_token,
                                          url_for("auth.login_get", _external=True))
    if provider_logout:
        # A page that moves on by itself (Refresh header): CSP form-action 'self' forbids the
        # logout form's redirect to leave this site.
        return (render_template("auth/logout.html", provider=setup.provider_name, url=provider_logout),
                200, {"Refresh": f"0; url={provider_logout}"})
    flash(_("You have been logged out."), "success")
    return redirect(url_for("auth.login_get"), 303)


# --- login locks ----------------------------------------------------------------------------

def _locks_page(status=200, notice=None):
    """The locks in force; htmx gets just the list it replaces."""
    accounts, addresses = services.current_locks(current_user)
    context = dict(accounts=accounts, addresses=addresses, notice=notice, form=LiftLockForm())
    if hx.wants_fragment():
        return render_template("auth/_locks.html", **context), status
    return render_template("auth/locks.html", **context), status


@bp.get("/login-locks")
def locks_get():
    """Anmeldesperren: who may not log in from where at the moment (administrators)."""
    require_admin(current_user)
    return _locks_page()


@bp.post("/login-locks/lift")
def lock_lift_post():
    """Lift one lock: the username (if any) may log in from the address again."""
    require_admin(current_user)
    form = LiftLockForm()
    if not form.validate_on_submit():
        return _locks_page(422, notice=_("Choose a lock from the list."))
    lifted = services.lift_lock(current_user, form.username.data, form.address.data)
    notice = (_("The lock of %(lock)s was lifted.", lock=lifted) if lifted
              else _("This lock had already ended."))
    if not hx.wants_fragment():
        flash(notice, "success")
        return hx.redirect(url_for("auth.locks_get"))
    return _locks_page(notice=notice)
