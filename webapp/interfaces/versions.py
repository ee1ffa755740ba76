"""Comparing and restoring interface services (changelog.versions, registered by
interfaces.history): a past state is saved through update_service, with its version check,
permissions, admin-only fields, protection, uniqueness and the catalogue's validation.

The log names a service's branch and companies by name, so a past state finds them by name:
one that no longer exists refuses the restore. Secrets are never restored; entered in the
same step they are saved as the editor's write-only fields are."""
from datetime import date

from flask_babel import lazy_gettext as _l

from ..changelog.versions import Versions
from ..companies.models import Company
from ..errors import DomainError
from ..extensions import db
from ..i18n import ui_language
from ..org.models import Branch
from . import catalogue, services
from . import values as field_values
from .values import InvalidValues

BOOLEANS = ("usage_server", "usage_client", "protected", "enabled")


def _interface(service):
    try:
        return catalogue.get_interface(service.interface_key)
    except KeyError:
        raise DomainError(_l("This interface does not exist (any more).")) from None


def _secret_fields(service):
    return [spec.key for spec in _interface(service).secret_fields]


def restore(actor, service, state, secrets, version, entry):
    """Save `state` (the service's values as the change log compares them) through
    update_service; True when something changed. See the module's docstring."""
    interface = _interface(service)
    current = services.logged_values(service)
    data = {name: bool(state.get(name)) for name in BOOLEANS}
    data["name"] = state.get("name") or ""
    start = state.get("start_date")
    data["start_date"] = date.fromisoformat(start) if start else None
    if service.workstation_id is None:
        data["branch_id"] = _branch_id(service, state.get("branch_id"),
                                       current.get("branch_id"))
    stored = dict(service.values or {})
    specs = {spec.key: spec for spec in (*interface.fields, *interface.tables)
             if not getattr(spec, "is_secret", False)}
    for key in specs:
        if state.get(key) == current.get(key):
            continue  # unchanged since: the stored value as it is (companies by id)
        spec = specs[key]
        stored[key] = (_company_ids(spec, state.get(key))
                       if getattr(spec, "kind", None) in ("company", "supplier")
                       else state.get(key))
    raw = field_values.form_data(interface, field_values.from_storage(interface, stored))
    raw.update({key: value for key, value in (secrets or {}).items()
                if value and key in _secret_fields(service)})
    try:
        return services.update_service(actor, service, data, raw, version,
                                       restored_from=entry)
    except InvalidValues as error:
        raise DomainError(_l("That state no longer fits the catalogue: %(problems)s",
                             problems="; ".join(f"{_label(interface, name)}: {message}"
                                                for name, message in error.errors.items()))
                          ) from error


def _branch_id(service, name, current_name):
    """The id of the branch a past state names (by name, as the log stores it)."""
    if name == current_name:
        return service.branch_id
    if name is None:
        return None
    found = db.session.scalar(db.select(Branch.id).where(Branch.name == name))
    if found is None:
        raise DomainError(_l("The branch %(name)s of that state no longer exists.", name=name),
                          field="branch_id")
    return found


def _company_ids(spec, names):
    """The ids of the companies a past state names (by name, as the log stores them)."""
    if names in (None, "", []):
        return None
    wanted = names if isinstance(names, list) else [names]
    found = dict(db.session.execute(
        db.select(Company.name, Company.id).where(Company.name.in_(wanted))).all())
    missing = [name for name in wanted if name not in found]
    if missing:
        raise DomainError(_l("The company %(name)s of that state no longer exists.",
                             name=", ".join(str(name) for name in missing)), field=spec.key)
    ids = sorted(found[name] for name in wanted)
    return ids if spec.multiple else ids[0]


def _label(interface, name):
    """The label of a field (or a table's cell, ``<table>-<row>-<field>``) for a message."""
    key = name.split("-")[0]
    spec = next((spec for spec in (*interface.fields, *interface.tables) if spec.key == key),
                None)
    return spec.text("label", ui_language()) if spec is not None else name


VERSIONS = Versions(
    find=lambda actor, service_id: services.get_service(service_id, reader=actor),
    values=services.logged_values,
    restore=restore,
    may_restore=services.can_edit_service,
    secret_fields=_secret_fields,
    detail=lambda service: service.interface_key,
)
