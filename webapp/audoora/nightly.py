"""The nightly refresh of the Audoora registration (issue 12 part 3), when the chain asks for
it (chain setting "Audoora-Registrierung nachts automatisch aktualisieren", default off).

The periodic job jobs.audoora.refresh_registrations ticks every few minutes. Once the chain's
local time has passed NIGHTLY_AT, every active, registered Audoora service for which a
refresh is due (a branch, user or customer number changed since the last one) gets the same
refresh a person starts: the body built now, confirmed by its own fingerprint, sealed in the
row. Once a night per service: the database decides, not the tick — a service that already
has an automatic refresh since tonight's NIGHTLY_AT gets none, and its exclusive key keeps a
second from starting while one runs."""
import logging
from dataclasses import dataclass
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from ..errors import DomainError
from ..extensions import db
from ..interfaces import actions, services
from ..interfaces.models import InterfaceService
from ..models_base import utcnow
from ..org.services import get_chain
from ..outbound.models import Outbound
from ..permissions import ADMIN
from . import registration
from .models import AudooraRegistration

log = logging.getLogger(__name__)

# After the nightly connection tests' default time (02:00), in the chain's time zone.
NIGHTLY_AT = time(3, 0)
AUTOMATIC_NAME = "Automatisch"


@dataclass(frozen=True)
class AutomaticActor:
    """Who starts the nightly refresh: "Automatisch" in the run history, with an
    administrator's right to send the chain's data, which the chain's setting granted."""

    name: str = AUTOMATIC_NAME
    role: str = ADMIN
    is_admin: bool = True
    branch_ids: frozenset = frozenset()


AUTOMATIC = AutomaticActor()


def tonight(now, chain):
    """When tonight's refresh became due (UTC), or None while it is not yet due."""
    zone = ZoneInfo(chain.timezone or "Europe/Berlin")
    local = now.astimezone(zone)
    if local.time().replace(tzinfo=None) < NIGHTLY_AT:
        return None
    return datetime.combine(local.date(), NIGHTLY_AT, zone).astimezone(timezone.utc)


def _refreshed_automatically_since(service, since):
    return db.session.scalar(
        db.select(Outbound.id).where(
            Outbound.kind == registration.KIND, Outbound.subject_type == actions.SUBJECT,
            Outbound.subject_id == service.id, Outbound.action == registration.REFRESH,
            Outbound.requested_by == AUTOMATIC_NAME, Outbound.created_at >= since)
        .limit(1)) is not None


def start_nightly_refreshes(now=None):
    """Start tonight's refresh of every registered, active Audoora service that is due and
    was not refreshed automatically tonight; returns the rows started (none while the
    chain's setting is off or before NIGHTLY_AT). The caller commits."""
    now = now or utcnow()
    chain = get_chain()
    since = tonight(now, chain) if chain.audoora_auto_refresh else None
    if since is None:
        return []
    today = services.chain_today(now)
    found = db.session.scalars(
        db.select(InterfaceService).join(
            AudooraRegistration, AudooraRegistration.service_id == InterfaceService.id)
        .where(InterfaceService.interface_key == registration.INTERFACE)
        .order_by(InterfaceService.id)).all()
    started = []
    for service in found:
        if not services.is_active(service, today) or \
                _refreshed_automatically_since(service, since):
            continue
        state = registration.state(service)
        if not state["due"]:
            continue
        sent = registration.body(service)
        try:
            row, created = registration.start(AUTOMATIC, service, registration.REFRESH,
                                              {"fingerprint": registration.fingerprint(sent)})
        except DomainError as error:
            log.warning("Nightly Audoora refresh of service %s not started: %s",
                        service.id, error)
            continue
        if created:
            started.append(row)
    log.info("Nightly Audoora refresh: %s started", len(started))
    return started
