"""'Informationen anfordern' on the card service (seed 003): the chain asks the card
provider for a card contract and its key, sending who it is and how to reach it — the chain's
name, its branches with their addresses, and the person asking (name, e-mail, phone). It runs
as outbound work (kind card_info_request, webapp/cards/provider.py); the editor shows that
it went, and when."""
import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam

from ..errors import DomainError
from ..extensions import db
from ..interfaces import actions, services
from ..org.models import Branch
from ..org.services import get_chain
from ..outbound import engine
from ..outbound.models import DONE, OPEN_STATES, Outbound
from .provider import INFO_KIND
from .services import INTERFACE

ACTION = "request_info"
NO_EMAIL = _l("Enter your e-mail address under Mein Konto first: the card provider answers "
              "the person who asked.")
NO_SERVER = _l("Fill in and save the Server-URL first.")


def body(actor):
    """The contact request: the chain, its branches, the person asking; only what is filled
    in."""
    def filled(record):
        return {key: value for key, value in record.items() if value not in (None, "")}
    branches = db.session.scalars(db.select(Branch).order_by(Branch.id)).all()
    return filled({
        "chain": get_chain().name,
        "contact": filled({"name": actor.name, "email": (actor.email or "").strip(),
                           "phone": (getattr(actor, "phone", "") or "").strip()}),
        "branches": [filled({"name": b.name, "street": b.street, "postal_code": b.postal_code,
                             "city": b.city, "email": b.office_email, "phone": b.office_phone})
                     for b in branches],
        "message": "Bitte um Kartenvertrag und Schlüssel für die Kundenkartenbestellung.",
    })


def start(actor, service, action_key, form):
    if not actions.may_run(actor, service):
        raise DomainError(str(_l("You may not run this action.")))
    if not (services.service_values(service).get("base_url") or "").strip():
        raise DomainError(str(NO_SERVER))
    if not (actor.email or "").strip():
        raise DomainError(str(NO_EMAIL))
    return engine.start(INFO_KIND, actions.SUBJECT, service.id, action=ACTION,
                        exclusive_key=f"{actions.SUBJECT}:{service.id}:{INFO_KIND}",
                        requested_by=actor.name, sealed=json.dumps(body(actor)), progress={})


# Built once (the card service's editor asks on every request): a statement built per call
# cost more to build and to look up in SQLAlchemy's cache than to run (issue 15).
_LAST_SENT = (db.select(Outbound)
              .where(Outbound.kind == INFO_KIND, Outbound.subject_type == actions.SUBJECT,
                     Outbound.subject_id == bindparam("service_id"), Outbound.state == DONE)
              .order_by(Outbound.finished_at.desc(), Outbound.id.desc()).limit(1))


def last_sent(service):
    """The latest request the provider accepted, or None."""
    return db.session.scalar(_LAST_SENT, {"service_id": service.id})


def panel(actor, service, action_key):
    return "cards/_info_state.html", dict(sent=last_sent(service))


def summary(row):
    progress = row.progress or {}
    if row.state in OPEN_STATES:
        if row.last_error:
            return _("The card provider is not reachable right now (%(message)s). Trying "
                     "again automatically.", message=row.last_error)
        return _("Sending the request …")
    if row.state == DONE:
        return _("Request %(id)s received by the card provider: they will get in touch "
                 "with the contract and key.", id=progress.get("request_id", ""))
    return _("Not sent: %(message)s", message=row.last_error or _("Failed."))


RUNNER = actions.ActionRunner(kind=INFO_KIND, start=start, panel=panel, summary=summary)


def register_runner():
    actions.register_runner(INTERFACE, ACTION, RUNNER)
