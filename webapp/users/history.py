"""What the change log shows of users (registered by create_app): labels, a link, the role
and the preferred language in words, the password only as changed."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..changelog.registry import form_labels, page
from ..i18n import role_label
from .forms import UserForm
from .models import User


def register(log):
    """Users in the change log `log`."""
    log.entity("user", _l("User"), model=User, link=page("users.user_get", "user_id"),
               labels={**form_labels(UserForm), "password": _l("Password"),
                       "sessions": _l("Active sessions")},
               words={"role": role_label, "preferred_language": _language})


def _language(code):
    return current_app.config["LANGUAGES"].get(code, code)
