"""Admin screen for login through the staff directory (LDAP) and an identity provider
(OpenID Connect): see and change both configurations, and test the connection."""
from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx
from ..permissions import require_admin
from ..changelog.display import in_words
from ..changelog.services import entries_for
from ..errors import DomainError
from ..forms import apply_domain_error
from ..views_helpers import refusal_status
from . import bp, services
from .forms import LdapSettingsForm, OidcSettingsForm
from .ldap import Step

KINDS = {
    services.LDAP: (LdapSettingsForm, "directory/_ldap_form.html", "ldap_settings"),
    services.OIDC: (OidcSettingsForm, "directory/_oidc_form.html", "oidc_settings"),
}


def _context(kind, form, notice=None, steps=None):
    values = services.form_values(kind)
    return {"form": form, "settings": values, "notice": notice, "steps": steps,
            "history": in_words(entries_for(KINDS[kind][2], 1))}


def _page(forms, status=200, notices=None, steps=None):
    """The whole screen: both editors, each with its test result."""
    notices, steps = notices or {}, steps or {}
    return render_template(
        "directory/settings.html",
        ldap=_context(services.LDAP, forms[services.LDAP], notices.get(services.LDAP), steps.get(services.LDAP)),
        oidc=_context(services.OIDC, forms[services.OIDC], notices.get(services.OIDC), steps.get(services.OIDC)),
    ), status


def _fresh_form(kind):
    values = services.form_values(kind)
    return KINDS[kind][0].from_values(values, version=values["version"])


def _fresh_forms():
    return {kind: _fresh_form(kind) for kind in KINDS}


@bp.get("/")
def settings_get():
    """Both configurations; secrets only as 'set / not set'."""
    require_admin(current_user)
    return _page(_fresh_forms())


def _editor(kind, form, status=200, notice=None):
    """After a post: the editor fragment for htmx, else the whole screen."""
    if hx.wants_fragment():
        template = KINDS[kind][1]
        return render_template(template, **_context(kind, form, notice)), status
    forms = _fresh_forms()
    forms[kind] = form
    return _page(forms, status, notices={kind: notice})


def _save(kind):
    require_admin(current_user)
    form = KINDS[kind][0]()
    if form.validate_on_submit():
        try:
            saved = services.update_settings(current_user, kind, form.settings_data(), form.version.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            notice = _("Saved.") if saved else _("No changes.")
            if not hx.wants_fragment():
                flash(notice, "success")
                return hx.redirect(url_for("directory.settings_get"))
            return _editor(kind, _fresh_form(kind), notice=notice)
    return _editor(kind, form, status=refusal_status(form))


@bp.post("/ldap")
def ldap_post():
    """Save the LDAP settings."""
    return _save(services.LDAP)


@bp.post("/oidc")
def oidc_post():
    """Save the OpenID Connect settings."""
    return _save(services.OIDC)


def _test(kind, run):
    require_admin(current_user)
    form = KINDS[kind][0]()
    if form.validate_on_submit():
        steps = run(form)
    else:
        steps = [Step(False, _("Please correct the settings first: %(problems)s",
                               problems=_problems(form)))]
    if hx.wants_fragment():
        return render_template("directory/_test_result.html", kind=kind, steps=steps)
    forms = _fresh_forms()
    forms[kind] = form
    return _page(forms, steps={kind: steps})


def _problems(form):
    return "; ".join((f"{form[name].label.text}: " if name in form else "") + " ".join(map(str, errors))
                     for name, errors in form.errors.items())


@bp.post("/ldap/test")
def ldap_test_post():
    """'Verbindung testen': connect, bind, search with the form's (unsaved) values."""
    return _test(services.LDAP, lambda form: services.check_ldap(current_user, form.settings_data(),
                                                                form.test_username.data or ""))


@bp.post("/oidc/test")
def oidc_test_post():
    """'Verbindung testen': fetch the provider's discovery document and keys."""
    return _test(services.OIDC, lambda form: services.check_oidc(current_user, form.settings_data()))
