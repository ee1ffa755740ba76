"""What the change log shows of the directory settings (registered by create_app): the
forms' labels and the settings screen; only administrators read these entries."""
from flask_babel import lazy_gettext as _l

from ..changelog.registry import form_labels, page
from .forms import LdapSettingsForm, OidcSettingsForm
from .models import LdapSettings, OidcSettings


def register(log):
    """The LDAP and OpenID Connect settings in the change log `log`."""
    for key, label, model, form in (
            ("ldap_settings", _l("Directory (LDAP)"), LdapSettings, LdapSettingsForm),
            ("oidc_settings", _l("Single sign-on (OpenID Connect)"), OidcSettings,
             OidcSettingsForm)):
        log.entity(key, label, model=model, link=page("directory.settings_get"),
                   labels=form_labels(form), admin_only=True)
