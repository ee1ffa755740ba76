"""What a save of a "Kundenkartenbestellung" service must keep of its templates (Vorlagen zur
Kartenbestellung), checked inside the save (interfaces.services.register_check, wired by the
factory), and what of the cards names a document template (references, "document_template").

- Each row's Dokumentvorlage and, where the card goes to the customer, its Anschreiben name
  an existing document template (Stammdaten → Dokumentvorlagen), exactly: the batch sends the
  name, and the provider prints what it names.
- Template names are unique within the service, case ignored: a person ordering picks one
  by its name (seed 003, "Name … zur Auswahl angezeigt").
- A template that open card orders use (Vorgemerkt, Übermittelt, Fehler) can be neither
  removed nor renamed, and the service not deleted: the orders name their template.

A row's cells are named by the row's position in the saved values; the save turns that into
the row number the form posted (interfaces.services._run_checks)."""
from flask_babel import lazy_gettext as _l

from .. import references
from ..documents import services as documents
from ..errors import InUse
from ..extensions import db
from ..interfaces.catalogue.data_communication import CARD_TEMPLATES
from ..interfaces.values import InvalidValues, is_shown
from .models import OPEN_STATUSES, CardOrder

TABLE = CARD_TEMPLATES.key
DOCUMENT_CELLS = tuple(spec for spec in CARD_TEMPLATES.fields if spec.kind == "document_template")


def check_templates(actor, service, action, before):
    """interfaces.services.register_check for "card_order": refuse a save whose templates
    break a rule above (messages beside the cells at fault), or a deletion while open card
    orders use the service."""
    if action == "delete":
        held = _open_orders(service)
        if held:
            raise InUse(_l("Open card orders use this service's templates (%(orders)s): it "
                           "can be deleted once they are ordered or cancelled.",
                           orders=_order_names([n for numbers in held.values() for n in numbers])))
        return
    rows = [row for row in (service.values or {}).get(TABLE) or () if isinstance(row, dict)]
    errors = {}
    _check_names(rows, errors)
    _check_documents(rows, errors)
    if before is not None:
        _check_open_orders(service, rows, before, errors)
    if errors:
        raise InvalidValues(errors)


def _cell(position, key):
    return f"{TABLE}-{position}-{key}"


def _check_names(rows, errors):
    seen = {}
    for position, row in enumerate(rows):
        name = (row.get("name") or "").strip()
        if not name:
            continue
        first = seen.get(name.casefold())
        if first is None:
            seen[name.casefold()] = name
            continue
        errors[_cell(position, "name")] = _l(
            "Another template is named “%(name)s”: each needs its own name (case is "
            "ignored).", name=first)


def _check_documents(rows, errors):
    wanted = [(position, spec, row.get(spec.key)) for position, row in enumerate(rows)
              for spec in DOCUMENT_CELLS
              if row.get(spec.key) and is_shown(spec, row, CARD_TEMPLATES.fields)]
    names = [name for _position, _spec, name in wanted]
    existing = documents.existing_names(names)
    similar = documents.names_like(names)
    for position, spec, name in wanted:
        if name in existing:
            continue
        other = similar.get(name.lower())
        errors[_cell(position, spec.key)] = (
            _l("No document template is named “%(name)s”. Did you mean “%(other)s”?",
               name=name, other=other) if other else
            _l("No document template is named “%(name)s”. Choose one with Search …, or "
               "create it under Document templates.", name=name))


def _open_orders(service):
    """{template name: [order numbers]} of the service's open card orders."""
    held = {}
    for name, number, order_id in db.session.execute(
            db.select(CardOrder.template_name, CardOrder.number, CardOrder.id)
            .where(CardOrder.service_id == service.id, CardOrder.status.in_(OPEN_STATUSES))
            .order_by(CardOrder.id)):
        held.setdefault(name, []).append(number or f"#{order_id}")
    return held


def _order_names(numbers):
    return references.first_ten(numbers)


def _check_open_orders(service, rows, before, errors):
    """A template name the open orders use must still be there, exactly."""
    held = _open_orders(service)
    if not held:
        return
    names = {row.get("name") for row in rows}
    old_rows = [row for row in before.get(TABLE) or () if isinstance(row, dict)]
    for name, numbers in held.items():
        # Only what this save takes away: a name already gone before it is not its doing,
        # and refusing would block every repair.
        if name in names or not any(row.get("name") == name for row in old_rows):
            continue
        message = _l("Open card orders use the template “%(name)s” (%(orders)s): it can be "
                     "neither removed nor renamed until they are ordered or cancelled.",
                     name=name, orders=_order_names(numbers))
        # Renamed in place (same rows): beside its name; removed: above the table.
        position = next((at for at, row in enumerate(old_rows) if row.get("name") == name),
                        None)
        if position is not None and len(old_rows) == len(rows):
            errors[_cell(position, "name")] = message
        else:
            errors.setdefault(TABLE, message)


# --- answers for the layers below (registered by the factory) ----------------------------

def open_orders_naming_document(document):
    """The open card orders whose template (as ordered) names the document template."""
    numbers = [number or f"#{order_id}" for number, order_id, template in db.session.execute(
        db.select(CardOrder.number, CardOrder.id, CardOrder.template)
        .where(CardOrder.status.in_(OPEN_STATUSES)).order_by(CardOrder.id))
        if any((template or {}).get(spec.key) == document.name for spec in DOCUMENT_CELLS)]
    return [_l("open card orders: %(orders)s", orders=references.first_ten(numbers))] \
        if numbers else []
