"""The navigation bar: the main screens (some with screens of their own beside them, such as
Schnittstellen → Zustand), and the Verwaltung menu with the screens the actor may open.
Built here, from the domains' own answers, and handed to base.html, which only formats it
(it never compares roles)."""
from types import SimpleNamespace

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..audit.search import may_read_log
from ..permissions import EDIT, is_admin
from ..processes.services import template_actions

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


def navigation():
    """For base.html: the entries the logged-in actor sees, each marked when it is the
    screen shown now. No database access: the answers depend on the actor's role only."""
    if not current_user.is_authenticated:
        return {}
    endpoint_now = request.endpoint or ""
    administration = _entries(ADMINISTRATION, current_user, endpoint_now)
    return {"navigation": SimpleNamespace(
        main=_entries(MAIN, current_user, endpoint_now), administration=administration,
        administration_current=any(entry.current for entry in administration))}
