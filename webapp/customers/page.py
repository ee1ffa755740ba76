"""The customer page: its head and tab bar around one tab's panel.

Customers own the page and its first tab (Stammdaten); higher layers add tabs of their own
(processes: Vorgänge and Neuer Vorgang) with register_tab, wired by the factory at start-up,
and render them with render_tab. The view decides everything the tab bar shows, counts
included; the templates only format it."""
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

from flask import abort, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import hx
from . import services
from .forms import salutation_label


@dataclass(frozen=True)
class Tab:
    key: str
    label: object  # a (lazy) text
    endpoint: str  # called with customer_id
    template: str  # the panel
    count: Callable | None = None  # count(customer) → the number shown beside the label


MASTER = Tab("master", _l("Master data"), "customers.customer_get", "customers/_customer_form.html")
# By key, in the order registered; a second app built in the same process re-registers the
# same tabs in place.
_tabs = {MASTER.key: MASTER}


def register_tab(tab):
    """Add a tab to every customer page, after those registered before it."""
    _tabs[tab.key] = tab


def customer_or_404(customer_id):
    customer = services.get_customer(customer_id, reader=current_user)
    if customer is None:
        abort(404)
    return customer


def page_context(customer, tab, **extra):
    """What the customer page and its tabs need: the tab bar (labels with their counts),
    the panel to show, and what the head offers."""
    tabs = []
    for entry in _tabs.values():
        label = str(entry.label)
        if entry.count is not None:
            label = f"{label} ({entry.count(customer)})"
        tabs.append(SimpleNamespace(key=entry.key, label=label,
                                    url=url_for(entry.endpoint, customer_id=customer.id)))
    context = dict(customer=customer, tab=tab, tabs=tabs,
                   panel_template=_tabs.get(tab, MASTER).template,
                   may_delete=services.may_delete(current_user, customer),
                   salutation_label=salutation_label)
    context.update(extra)
    return context


def render_tab(customer, tab, status=200, **extra):
    """A tab: for htmx the tab bar with the panel, otherwise the whole customer page."""
    context = page_context(customer, tab, **extra)
    if hx.wants_fragment():
        return render_template("customers/_tabs.html", **context), status
    return render_template("customers/customer.html", **context), status
