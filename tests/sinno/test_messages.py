"""What a SiNNO run stores as its attempts' text is worded by the worker in the installation's
default language, German, since the operations page shows it as stored: a login (after a
lookup that found it never arrived), the chat's sync, switching off a customer SiNNO no
longer had active, and a logout SiNNO had already ended."""
import pytest
import requests

from tests.factories import fresh
from tests.sinno.conftest import customer_writes, runs, sync
from tests.translated import de
from webapp.extensions import db
from webapp.outbound.models import DONE, Outbound
from webapp.sinno import activation, api, chat, session

pytestmark = pytest.mark.redis


def _attempts(row):
    return [(attempt.action, attempt.outcome, attempt.message)
            for attempt in fresh(Outbound, row.id).attempt_log]


def test_a_login_looked_up_then_sent_reads_german(sinno, world, work):
    """The login's first attempt got no answer (needs a lookup): the lookup finds it never
    arrived, the login is sent and passes its connection test, both said in German."""
    row, _created = session.start(world.admin, sinno.app, session.LOGIN, None)
    row.needs_lookup = True
    db.session.commit()
    assert work()
    session_id = api.login_of(sinno.app.id).session_id
    logged_in = de("Logged in (session %(session)s); the connection test passed.",
                   session=session_id)
    assert logged_in == f"Angemeldet (Sitzung {session_id}); der Verbindungstest war erfolgreich."
    assert _attempts(row) == [
        ("lookup", "not_found", "Nicht angekommen; wird jetzt gesendet."),
        ("submit", "accepted", logged_in)]


def test_a_sync_and_switching_off_a_customer_sinno_had_off_read_german(activated, world,
                                                                        work):
    """The sync says how many messages it fetched; switching off Erika, whom someone had
    switched off at SiNNO already, is done, and says so."""
    customer_writes(activated.url, "Ist mein Hörgerät fertig?")
    sync(activated.chat, work)
    [synced] = runs(chat.SYNC_KIND)
    assert de("Messages fetched: %(count)s.", count=1) == "Abgerufene Nachrichten: 1."
    assert _attempts(synced) == [("submit", "accepted", "Abgerufene Nachrichten: 1.")]

    token = api.login_of(activated.app.id).token
    requests.delete(f"{activated.url}/sinno/v1/customers/{world.customer.id}", timeout=5,
                    headers={"Authorization": f"Bearer {token}",
                             "Idempotency-Key": "switched-off-at-sinno"}).raise_for_status()
    activation.deactivate(world.admin, world.customer)
    db.session.commit()
    assert work()
    switched_off = runs(activation.KIND)[-1]
    assert switched_off.state == DONE
    assert _attempts(switched_off) == [
        ("submit", "accepted", de("Deactivated: the customer was not active at SiNNO."))]
    assert switched_off.attempt_log[0].message == \
        "Deaktiviert: Der Kunde war bei SiNNO nicht aktiv."


def test_a_logout_sinno_had_ended_already_reads_german(logged_in, world, work):
    """SiNNO no longer knows the token (401 to the logout): logged out, saying why."""
    requests.post(f"{logged_in.url}/_sandbox/tokens/expire", timeout=5).raise_for_status()
    row, _created = session.start(world.admin, logged_in.app, session.LOGOUT,
                                  {"confirmed": "1"})
    db.session.commit()
    assert work()
    assert fresh(Outbound, row.id).state == DONE and not api.is_logged_in(logged_in.app.id)
    ended = de("Logged out: the session had already ended at SiNNO.")
    assert ended == "Abgemeldet: Die Sitzung war bei SiNNO bereits beendet."
    assert _attempts(row) == [("submit", "accepted", ended)]
