"""Kundenfreischaltung on the customer's SiNNO-App tab: it needs a mobile number and an
e-mail address no other activated customer uses (a duplicate mobile number is refused, also
written another way), SiNNO sends the activation code, and switching off shows as well."""
import pytest

from tests.factories import HX
from tests.sinno.conftest import runs, sandbox_state
from webapp.customers.models import Customer
from webapp.extensions import db
from webapp.outbound.models import DONE
from webapp.sinno import activation
from webapp.sinno.models import ACTIVE, INACTIVE, SinnoActivation

pytestmark = pytest.mark.redis


def _post(client, csrf, customer, what):
    return client.post(f"/customers/{customer.id}/sinno/{what}", headers=HX,
                       data={"csrf_token": csrf()})


def test_activation_needs_a_mobile_number_and_an_email_address(
        logged_in, world, client, auth, csrf):
    """Without them the tab names what is missing and a switch-on is refused (422)."""
    auth.login(world.staff)
    tab = client.get(f"/customers/{world.customer.id}/sinno").get_data(as_text=True)
    assert "Der Kunde hat keine Mobilnummer." in tab and "Nicht freigeschaltet" in tab
    refused = _post(client, csrf, world.customer, "activate")
    assert refused.status_code == 422
    assert "Der Kunde hat keine E-Mail-Adresse." in refused.get_data(as_text=True)
    assert runs(activation.KIND) == []


def test_activate_and_deactivate_show_on_the_customer(logged_in, world, client, auth, csrf,
                                                      work):
    """Sam switches Erika's access on: SiNNO sends the code to her mobile and e-mail, the
    tab says since when; switching off ends it at SiNNO and shows too."""
    world.customer.mobile, world.customer.email = "0170 5550001", "Erika@Example.org"
    db.session.commit()
    auth.login(world.staff)
    started = _post(client, csrf, world.customer, "activate")
    assert started.status_code == 200 and "wird freigeschaltet" in started.get_data(as_text=True)
    assert work()
    tab = client.get(f"/customers/{world.customer.id}/sinno").get_data(as_text=True)
    assert "Freigeschaltet" in tab and "App-Zugang freigeschaltet seit" in tab
    assert "SiNNO hat den Aktivierungscode an 01705550001 und erika@example.org gesendet." in tab
    [company] = sandbox_state(logged_in.url)
    assert [(c["customer_ref"], c["sms"]) for c in company["codes"]] == [
        (str(world.customer.id), "01705550001")]

    stopped = _post(client, csrf, world.customer, "deactivate")
    assert stopped.status_code == 200
    assert work()
    found = activation.activation_of(world.customer)
    assert found.state == INACTIVE and found.held_mobile is None
    tab = client.get(f"/customers/{world.customer.id}/sinno").get_data(as_text=True)
    assert "Deaktiviert" in tab and "App-Zugang deaktiviert seit" in tab
    assert sandbox_state(logged_in.url)[0]["customers"][0]["status"] == "deactivated"
    assert [r.state for r in runs(activation.KIND)] == [DONE, DONE]


def test_a_duplicate_mobile_number_is_refused(activated, world, client, auth, csrf):
    """Another customer with Erika's mobile number, written another way: a switch-on is
    refused before anything is sent, saying the number is linked to another customer and who
    can clear it — without naming that customer (their number or name is not Otto's
    business)."""
    other = Customer(number="K-000002", branch=world.st, first_name="Otto", last_name="Muster",
                     mobile="0049 170 555 0001", email="otto@example.org")
    db.session.add(other)
    db.session.commit()
    auth.login(world.staff)
    refused = _post(client, csrf, other, "activate")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    linked = ("Die Mobilnummer +491705550001 ist bereits mit der SiNNO-App eines anderen "
              "Kunden verbunden.")
    assert linked in body and "Administrator" in body
    tab = client.get(f"/customers/{other.id}/sinno").get_data(as_text=True)
    assert linked in tab
    for text in (body, tab):
        assert world.customer.number not in text and "Erika" not in text
    assert activation.activation_of(other) is None
    assert len(runs(activation.KIND)) == 1  # Erika's
    # The database holds the rule too: a second holder of the number cannot be written.
    db.session.add(SinnoActivation(customer_id=other.id, state=ACTIVE,
                                   held_mobile="+491705550001"))
    with pytest.raises(Exception, match="UNIQUE|unique"):
        db.session.commit()
    db.session.rollback()


def test_other_branches_staff_may_not_switch(activated, world, client, auth, csrf):
    """Uli (Ulm) reads Erika (customers are chain-wide) but may not switch her access."""
    auth.login(world.ul_staff)
    tab = client.get(f"/customers/{world.customer.id}/sinno").get_data(as_text=True)
    assert "App-Zugang deaktivieren" not in tab
    assert _post(client, csrf, world.customer, "deactivate").status_code == 403
    assert activation.activation_of(world.customer).state == ACTIVE
