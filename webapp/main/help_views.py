"""Hilfe (F1) on every page: each screen's help, found from the endpoint shown (as the
navigation marks its entry), opened in a dialog by F1 or the header's "Hilfe (F1)" link
(static/js/app.js), and a page of its own for browsers without JavaScript. The texts are
templates/help/<topic>.html."""

from flask import abort, render_template, url_for
from flask_babel import lazy_gettext as _l

from .. import hx
from . import bp

# topic → the screen's name, which the help's heading shows.
TOPICS = {
    "start": _l("Start page"),
    "interfaces": _l("Interfaces"),
    "health": _l("Health"),
    "rollouts": _l("Roll out to branches"),
    "effective": _l("Effective configuration"),
    "customers": _l("Customers"),
    "processes": _l("Processes"),
    "orders": _l("Orders"),
    "sinno_chat": _l("SiNNO chat"),
    "branches": _l("Branches"),
    "organisations": _l("Branch organisations"),
    "workstations": _l("Workstations"),
    "users": _l("Users"),
    "companies": _l("Companies"),
    "documents": _l("Document templates"),
    "chain": _l("Chain"),
    "process_templates": _l("Process templates"),
    "changelog": _l("Change log"),
    "notifications": _l("Notifications"),
    "account": _l("My account"),
    "operations": _l("Operations"),
}
# endpoint prefix → the topic of its screen; the longest prefix that matches wins. A page
# whose endpoint matches none has no help: tests/main/test_help.py names the few that may.
SCREENS = {
    "main.index": "start",
    "interfaces.health": "health",
    "interfaces.rollout": "rollouts",
    "interfaces.": "interfaces",
    "directory.": "interfaces",
    "effective.": "effective",
    "customers.": "customers",
    "sinno.customer": "customers",
    "cards.customer": "customers",
    "processes.": "processes",
    "processes.template": "process_templates",
    "cards.": "processes",
    "cards.employee": "users",
    "ordering.": "orders",
    "audoora.": "orders",
    "sinno.": "sinno_chat",
    "org.branch": "branches",
    "org.organisation": "organisations",
    "org.workstation": "workstations",
    "org.chain": "chain",
    "users.": "users",
    "users.account": "account",
    "auth.locks": "users",
    "companies.": "companies",
    "documents.": "documents",
    "changelog.": "changelog",
    "notifications.": "notifications",
    "operations.": "operations",
}


def topic_of(endpoint):
    """The help topic of the screen `endpoint` belongs to, or None."""
    found = [prefix for prefix in SCREENS if endpoint.startswith(prefix)]
    return SCREENS[max(found, key=len)] if found else None


def help_url(endpoint):
    """For the top bar (navigation.TopBar): the address of the help of the screen `endpoint`
    belongs to, or None. No database access."""
    topic = topic_of(endpoint)
    return url_for("main.help_get", topic=topic) if topic is not None else None


@bp.get("/help", defaults={"topic": "start"})
@bp.get("/help/<topic>")
def help_get(topic):
    """Hilfe (F1): a screen's help, as a dialog for htmx and as a page otherwise."""
    if topic not in TOPICS:
        abort(404)
    template = "help/_dialog.html" if hx.wants_fragment() else "help/help.html"
    return render_template(template, topic=topic, title=TOPICS[topic])
