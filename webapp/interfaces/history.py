"""What the change log shows of interface services (registered by create_app): the common
fields first, then the interface type's own by their catalogue labels, in catalogue order;
choices, dates and tables in words; a link to the service's editor."""
from functools import cache

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..changelog.display import date_in_words
from ..changelog.registry import page
from ..i18n import ui_language
from . import catalogue
from .models import InterfaceService
from .services import ENTITY
from .versions import VERSIONS

# The common fields of every interface service, as services._log_values names them.
COMMON_LABELS = {
    "name": _l("Name"),
    "branch_id": _l("Branch"),
    "workstation_id": _l("Workstation"),
    "usage_server": _l("Server-side"),
    "usage_client": _l("Client-side"),
    "start_date": _l("Start"),
    "protected": _l("Protected"),
    "enabled": _l("Enabled"),
    "copied_from": _l("Copied from"),
    "planned_for": _l("Planned for"),  # a planned credential change (credential_plans.py)
}


def register(log):
    """Interface services in the change log `log`. An entry's words depend on the service's
    interface type (its interface_key); while the service is gone, the catalogue's fields
    across all types serve (the entry does not store the type)."""
    # The editor's address does not depend on the interface type (the detail): a change log
    # page builds it once, not once per type shown (issue 15).
    log.entity(ENTITY, _l("Interface service"), model=InterfaceService, detail="interface_key",
               link=page("interfaces.edit_get", "service_id"), labels=labels,
               field_label=_any_label, words=words, versions=VERSIONS)


@cache
def labels(interface_key):
    """{field: label}: the common fields, then the interface type's fields and tables."""
    interface = _interface(interface_key)
    specs = ((*interface.fields, *interface.tables) if interface is not None
             else _every_spec().values())
    return {**COMMON_LABELS, **{spec.key: _label(spec) for spec in specs
                                if spec.key not in COMMON_LABELS}}


def words(name, value, interface_key):
    """Choices by their labels, dates as the UI writes them, tables as their row count;
    None (the change log's common words) for anything else."""
    if name == "start_date":
        return date_in_words(value)
    if name in COMMON_LABELS:
        return None
    specs = _specs(interface_key) if isinstance(interface_key, str) else _every_spec()
    spec = specs.get(name)
    kind = getattr(spec, "kind", None)
    if kind == "choice":
        return spec.choice_label(value, ui_language())
    if kind == "date":
        return date_in_words(value)
    if spec is not None and kind is None:  # a table: rows of values
        return _("%(count)s rows", count=len(value)) if isinstance(value, list) else str(value)
    return None


def _any_label(name):
    """A field the service's type no longer has: the label some type gives it."""
    return labels(None).get(name)


@cache
def _every_spec():
    """{key: field or table spec} across the catalogue, the first with a key winning: keys
    mean the same across interface types."""
    found = {}
    for group in catalogue.load():
        for interface in group.interfaces:
            for spec in (*interface.fields, *interface.tables):
                found.setdefault(spec.key, spec)
    return found


def _interface(interface_key):
    if not isinstance(interface_key, str):
        return None
    try:
        return catalogue.get_interface(interface_key)
    except KeyError:
        return None


@cache
def _specs(interface_key):
    """{key: field or table spec} of the interface type, the first with a key winning; of
    every type (_every_spec) where the type is unknown. The catalogue is code: made once
    per type rather than a scan of its fields for each value a change-log page words
    (~10 % of its search fragment, issue 15)."""
    interface = _interface(interface_key)
    if interface is None:
        return _every_spec()
    found = {}
    for spec in (*interface.fields, *interface.tables):
        found.setdefault(spec.key, spec)
    return found


def _label(spec):
    """The spec's label in the language of the page that shows it."""
    return LazyString(lambda: spec.text("label", ui_language()))
