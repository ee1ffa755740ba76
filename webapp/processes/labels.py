"""Words for the codes processes store: process types, step kinds, sides and states.
The German UI shows them as the product does (Otoplastik, HG Versorgung, Bestellservice …)."""
from flask_babel import lazy_gettext as _l

from .models import CLOSED, CUSTOMER_CARD, OPEN, ORDER_SERVICE, STEP

PROCESS_TYPE_LABELS = {
    "ear_mould": _l("Ear mould"),
    "hearing_aid": _l("Hearing aid fitting"),
    "repair": _l("Repair"),
    "glasses": _l("Glasses"),
    "contact_lenses": _l("Contact lenses"),
    "other": _l("Other"),
}
STEP_KIND_LABELS = {
    STEP: _l("Step"),
    ORDER_SERVICE: _l("Order service"),
    CUSTOMER_CARD: _l("Customer card"),
}
SIDE_LABELS = {
    "left": _l("Left"),
    "right": _l("Right"),
}
STATUS_LABELS = {
    OPEN: _l("open"),
    CLOSED: _l("closed"),
}


def process_type_label(code):
    return PROCESS_TYPE_LABELS.get(code, code)


def step_kind_label(code):
    return STEP_KIND_LABELS.get(code, code)


def side_label(code):
    return SIDE_LABELS.get(code, code)


def status_label(code):
    return STATUS_LABELS.get(code, code)
