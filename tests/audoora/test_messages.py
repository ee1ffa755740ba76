"""What an Audoora run stores as its attempts' text is worded by the worker in the
installation's default language, German, since the operations page shows it as stored: the
registration (after a lookup that found it never arrived) with its id and revision, and the
partner list that follows it with how many partner companies came."""
import pytest
import requests

from tests.factories import fresh, make_config
from tests.translated import de
from webapp.audoora import partners, registration
from webapp.audoora.models import AudooraPartnerList
from webapp.extensions import db
from webapp.outbound.models import DONE, Outbound

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def _attempts(kind):
    (row,) = db.session.scalars(db.select(Outbound).where(Outbound.kind == kind)).all()
    row = fresh(Outbound, row.id)
    assert row.state == DONE
    return [(attempt.action, attempt.outcome, attempt.message) for attempt in row.attempt_log]


def test_a_registration_and_its_partner_list_read_german(world, make_service, sandbox, work):
    """The registration's first attempt got no answer: the lookup by key finds it never
    arrived, it is sent and registered; the partner list fetched after it says how many."""
    service = make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "zentrale@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora")
    row, _created = registration.start(world.admin, service, registration.REGISTER, {
        "fingerprint": registration.fingerprint(registration.body(service))})
    row.needs_lookup = True
    db.session.commit()
    assert work()
    stored = registration.registration_of(service)
    registered = de("Registered (registration %(id)s, revision %(revision)s).",
                    id=stored.registration_id, revision=stored.revision)
    assert registered == "Registriert (Registrierung AUDR-000001, Stand 1)."
    assert _attempts(registration.KIND) == [
        ("lookup", "not_found", "Nicht angekommen; wird jetzt gesendet."),
        ("submit", "accepted", registered)]

    listed = db.session.scalar(db.select(AudooraPartnerList)).partners
    portal = requests.get(f"{sandbox}/audoora/api/v1/partners", auth=("10001", "sandbox"),
                          timeout=5).json()["partners"]
    assert len(listed) == len(portal) > 1
    assert _attempts(partners.KIND) == [
        ("submit", "accepted", f"{len(portal)} Partnerfirmen abgerufen.")]
