"""Language and time-zone selection. German unless a user (or, before login, the session)
chose English; times are shown in the chain's time zone."""
from flask import current_app, g, has_request_context, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user

# Flask-Babel gives lazy strings an __html__ method, so Jinja treats them as safe markup and
# values interpolated into them (usernames, directory error texts, URLs) would reach pages
# unescaped. Our messages are plain text: without __html__ they are escaped like any str.
if "__html__" in LazyString.__dict__:
    del LazyString.__html__


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # CLI commands and jobs: no user, no session.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.preferred_language in languages:
        return current_user.preferred_language
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    """The chain's time zone, read once per request through the function the factory handed
    to init_app (the chain lives in a layer above this one)."""
    if "chain_timezone" not in g:
        g.chain_timezone = current_app.extensions["schnittstellen.chain_timezone"]()
    return g.chain_timezone


def ui_language():
    """The language code of the UI now ("de" or "en"): catalogue texts come in both."""
    locale = get_locale()
    return locale.language if locale else "de"


ROLE_LABELS = {
    "admin": _l("Administrator"),
    "branch_manager": _l("Branch manager"),
    "staff": _l("Staff"),
}


def role_label(role):
    return ROLE_LABELS.get(role, role)


def init_app(app, chain_timezone):
    """`chain_timezone()` answers the chain's time-zone name."""
    app.extensions["schnittstellen.chain_timezone"] = chain_timezone
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["role_label"] = role_label
    # Lazy translated strings are iterable but not str: templates need a real list test.
    app.jinja_env.tests["list"] = lambda value: isinstance(value, (list, tuple))
    app.jinja_env.add_extension("jinja2.ext.i18n")
