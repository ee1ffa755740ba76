"""Language and time-zone selection. German unless a user (or, before login, the session)
chose English; times are shown in the chain's time zone."""
import functools

import flask_babel
from babel import Locale
from flask import current_app, g, has_request_context, session
from flask_babel import Domain, get_domain, get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

# Flask-Babel gives lazy strings an __html__ method, so Jinja treats them as safe markup and
# values interpolated into them (usernames, directory error texts, URLs) would reach pages
# unescaped. Our messages are plain text: without __html__ they are escaped like any str.
if "__html__" in LazyString.__dict__:
    del LazyString.__html__
_lazy_getattr, _babel_gettext = LazyString.__getattr__, flask_babel.gettext


def _lazy_attribute(self, name):
    # markupsafe's escape asks each text for __html__, and a lazy text answered by
    # translating itself (then escape translated it again): its text has none, say so now.
    if name == "__html__":
        raise AttributeError(name)
    return _lazy_getattr(self, name)


def _lazy_text(self):
    # As Flask-Babel's gettext with the default domain (the only one here) answers, without
    # its domain lookup through the context proxies (issue 15): a page turns 30 to 100 lazy
    # texts into text (the navigation, labels, filter choices).
    if self._func is _babel_gettext and len(self._args) == 1:
        text = translations().ugettext(self._args[0])
        return text % self._kwargs if self._kwargs else text
    return str(self._func(*self._args, **self._kwargs))


LazyString.__getattr__, LazyString.__str__ = _lazy_attribute, _lazy_text


def select_locale():
    """The request's language as Babel's Locale (Flask-Babel takes one as it is)."""
    return _locale(_language())


@functools.cache
def _locale(code):
    # Parsed once per language: Locale.parse looks for the language's data file on disk
    # every time (~30 µs of every page, issue 15).
    return Locale.parse(code)


def _language():
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
    """The language code of the UI now ("de" or "en"): catalogue texts come in both. Lists
    ask once per row and more (issue 15): the locale the request chose already is read
    without Flask-Babel's context proxies."""
    locale = _chosen_locale()[1] or get_locale()
    return locale.language if locale else "de"


def _chosen_locale():
    """(g, the locale Flask-Babel chose for this request, or None before it chose one);
    (None, None) outside an app context."""
    try:
        context = g._get_current_object()
    except RuntimeError:
        return None, None
    babel_context = context.__dict__.get("_flask_babel")
    return context, (babel_context.__dict__.get("babel_locale")
                     if babel_context is not None else None)


ROLE_LABELS = {
    "admin": _l("Administrator"),
    "branch_manager": _l("Branch manager"),
    "staff": _l("Staff"),
}


def role_label(role):
    return ROLE_LABELS.get(role, role)


def translations():
    """The translations of the current locale, as flask_babel.get_translations() answers, but
    remembered on `g` beside the locale they belong to. Flask-Babel looks the locale and its
    catalogue up through several context proxies on every call (~20 µs); a page translates
    a hundred texts and more (issue 15). A different locale object, as force_locale() sets or
    refresh() causes, looks them up again."""
    context, locale = _chosen_locale()
    if context is None:  # no app context: Flask-Babel answers the null translations
        return Domain.get_translations(get_domain())
    cached = context.__dict__.get("_translations")
    if locale is not None and cached is not None and cached[0] is locale:
        return cached[1]
    found = Domain.get_translations(get_domain())
    context._translations = (get_locale(), found)
    return found


def init_app(app, chain_timezone):
    """`chain_timezone()` answers the chain's time-zone name."""
    app.extensions["schnittstellen.chain_timezone"] = chain_timezone
    # Python's gettext and lazy strings ask the default domain: it answers through
    # translations() too (the class's method stays the way to look them up).
    with app.app_context():
        app.extensions["babel"].instance.domain_instance.get_translations = translations
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["role_label"] = role_label
    # Lazy translated strings are iterable but not str: templates need a real list test.
    app.jinja_env.tests["list"] = lambda value: isinstance(value, (list, tuple))
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    # `_()` in templates called Jinja's alias, which called the newstyle gettext, which called
    # the function above, each through the template context's call machinery (~3 µs a
    # text; a page has 40 to 200, issue 15). One function does what the three did.
    app.jinja_env.globals["_"] = _template_gettext


@pass_eval_context
def _template_gettext(eval_context, string, **variables):
    """Jinja's newstyle gettext: translated, markup where the template autoescapes, and
    always formatted with the variables (escaped), so that %% is % with or without them."""
    translated = translations().ugettext(string)
    if eval_context.autoescape:
        translated = Markup(translated)
    return translated % variables
