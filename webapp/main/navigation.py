"""The navigation bar: the main screens (some with screens of their own beside them, such as
Schnittstellen → Zustand), and the Verwaltung menu with the screens the actor may open.
Built here, from the domains' own answers, and handed to base.html, which only formats it
(it never compares roles)."""
from functools import cached_property
from types import SimpleNamespace

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ..audit.search import may_read_log
from ..i18n import ui_language
from ..permissions import EDIT, is_admin
from ..processes.services import template_actions
from .help_views import help_url

# (endpoint, endpoint prefix(es) that mark the entry current, label, who may see it or None)
MAIN = (
    ("interfaces.list_get", "interfaces.", _l("Interfaces"), None),
    ("customers.customers", "customers.", _l("Customers"), None),
    ("ordering.orders", ("ordering.order", "ordering.new_order"), _l("Orders"), None),
    ("sinno.chats_get", "sinno.chats", _l("SiNNO chat"), None),
)
# Screens shown beside an entry of the bar, as part of it: entry endpoint → entries as above.
SUBENTRIES = {
    "interfaces.list_get": (("interfaces.health_get", "interfaces.health", _l("Health"), None),),
}
ADMINISTRATION = (
    ("org.branches", "org.branch", _l("Branches"), None),
    ("org.organisations", "org.organisation", _l("Branch organisations"), None),
    ("org.workstations", "org.workstation", _l("Workstations"), None),
    ("users.users", "users.user", _l("Users"), None),
    ("companies.companies", "companies.compan", _l("Companies"), None),
    ("documents.documents", "documents.", _l("Document templates"), None),
    ("org.chain_get", "org.chain", _l("Chain"), None),
    ("processes.templates", "processes.template", _l("Process templates"),
     lambda actor: EDIT in template_actions(actor)),
    ("changelog.entries", "changelog.", _l("Change log"), may_read_log),
    ("operations.index", "operations.", _l("Operations"), is_admin),
)


def _entries(table, actor, endpoint_now):
    """The entries `actor` may see; an entry is current when its screen is shown, unless one
    of its subentries' is."""
    entries = []
    for endpoint, prefix, label, may_see in table:
        if may_see is not None and not may_see(actor):
            continue
        children = _entries(SUBENTRIES.get(endpoint, ()), actor, endpoint_now)
        current = endpoint_now.startswith(prefix) and not any(c.current for c in children)
        entries.append(SimpleNamespace(endpoint=endpoint, label=label, current=current,
                                       children=children))
    return entries


def navigation(actor, endpoint_now):
    """The entries `actor` sees, each marked when it is the screen `endpoint_now`."""
    administration = _entries(ADMINISTRATION, actor, endpoint_now)
    return SimpleNamespace(
        main=_entries(MAIN, actor, endpoint_now), administration=administration,
        administration_current=any(entry.current for entry in administration))


# The rendered parts of the top bar, per app, by what they depend on (below): a few hundred
# at most (screens × languages × what the roles may see); emptied if it ever grows past that.
_RENDERED_MAX = 2000


class TopBar:
    """For base.html: the navigation and the links beside the account's name, rendered on
    first use (fragments never use them) and remembered for every later request with the
    same screen, language, script root and entries the actor may see — all they depend on
    (issue 15: building and rendering them took ~0.5 ms of every page). No database access:
    what an actor may see depends on the role only."""

    def __init__(self, actor, endpoint_now):
        self.actor, self.endpoint_now = actor, endpoint_now

    @cached_property
    def _key(self):
        visible = tuple(may_see(self.actor) for table in (MAIN, ADMINISTRATION)
                        for *_, may_see in table if may_see is not None)
        return (self.endpoint_now, ui_language(), request.script_root, visible)

    def _part(self, name, render):
        key = (name, self._key)
        _rendered = current_app.extensions.setdefault("schnittstellen.top_bar", {})
        found = _rendered.get(key)
        if found is None:
            if len(_rendered) >= _RENDERED_MAX:
                _rendered.clear()
            macro = getattr(current_app.jinja_env.get_template("_topbar.html").module, name)
            found = _rendered[key] = Markup(render(macro))
        return found

    @property
    def nav(self):
        return self._part("nav", lambda macro: macro(navigation(self.actor, self.endpoint_now)))

    @property
    def links(self):
        return self._part("links", lambda macro: macro(self.endpoint_now,
                                                       help_url(self.endpoint_now)))


def top_bar():
    """Context processor: the top bar of a logged-in page (nothing is rendered until used)."""
    if not current_user.is_authenticated:
        return {}
    return {"top_bar": TopBar(current_user._get_current_object(), request.endpoint or "")}
