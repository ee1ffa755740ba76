"""The effective-configuration pages of a workstation and a branch: which service applies,
each value with its origin, protection and start dates, secrets only as set / not set, the
filters, and a statement count that does not grow with the services."""
import datetime
import re

import pytest

from tests.factories import HX, SMTP_RAW, make_config
from tests.translated import de, de_html
from webapp.extensions import db
from webapp.interfaces import services

SECRET = "sehr-geheim-42"


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path)  # German, unlike the other interface tests


def smtp_everywhere(world, make_service):
    chain = make_service("smtp", {**SMTP_RAW, "host": "chain.example.org"}, name="Kette SMTP")
    branch = make_service("smtp", {**SMTP_RAW, "host": "st.example.org", "password": SECRET},
                          name="ST SMTP", branch_id=world.st.id)
    till = make_service("smtp", {"port": "25", "sender_name": "Kasse 1"}, name="Kasse SMTP",
                        workstation_id=world.st_till.id)
    return chain, branch, till


def field_row(body, label):
    """The text of the value and origin cells of the row labelled `label`."""
    match = re.search(r'<th scope="row">' + re.escape(label) + r"</th>\s*<td>(.*?)</td>\s*"
                      r"<td>(.*?)</td>", body, re.S)
    assert match, f"no row {label!r}"
    return tuple(" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in match.groups())


def test_workstation_values_with_their_origins(client, auth, world, make_service):
    """The till's own values, the branch's for what it leaves empty, then the catalogue
    defaults — each with its origin; the secret only as 'gesetzt', from the branch."""
    smtp_everywhere(world, make_service)
    auth.login(world.staff)  # everyone logged in may read it
    response = client.get(f"/workstations/{world.st_till.id}/effective")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f"<h1>{de('Effective configuration')}</h1>" in body
    assert '<h2 id="group-email">E-Mail</h2>' in body
    assert "SMTP-Postausgangsserver" in body
    assert "<strong>Kasse SMTP</strong>" in body or ">Kasse SMTP</a>" in body
    assert de("Workstation %(name)s", name="ST-KASSE") in body
    assert field_row(body, "Port") == ("25", de("Workstation"))
    assert field_row(body, "Absendername") == ("Kasse 1", de("Workstation"))
    assert field_row(body, "Server") == ("st.example.org", f"{de('Branch')} (ST SMTP)")
    assert field_row(body, "Verschlüsselung") == ("STARTTLS", f"{de('Branch')} (ST SMTP)")
    assert field_row(body, "Zeitlimit (Sekunden)") == ("30", de("Default value"))
    assert field_row(body, "Antwortadresse") == ("—", "—")
    assert field_row(body, "Passwort") == (de("set"), f"{de('Branch')} (ST SMTP)")
    assert SECRET not in body


def test_branch_view_chain_and_branch_services(client, auth, world, make_service):
    """Ulm has no service of its own: the chain's applies. Stuttgart's own service applies
    whole; its empty fields are not filled from the chain's."""
    smtp_everywhere(world, make_service)
    auth.login(world.staff)
    # Staff of Stuttgart do not read Ulm's configuration (docs/permissions.md).
    assert client.get(f"/branches/{world.ul.id}/effective").status_code == 404
    auth.login(world.admin)
    ulm = client.get(f"/branches/{world.ul.id}/effective").get_data(as_text=True)
    assert field_row(ulm, "Server") == ("chain.example.org", de("Chain"))
    assert field_row(ulm, "Passwort") == (de("not set"), "—")
    stuttgart = client.get(f"/branches/{world.st.id}/effective").get_data(as_text=True)
    assert field_row(stuttgart, "Server") == ("st.example.org", de("Branch"))
    assert "Kasse SMTP" not in stuttgart  # a workstation's own service is not the branch's


def test_protection_and_start_dates(client, auth, world, make_service):
    """A protected branch service is marked and beats the till's own; a planned service is
    listed with its start and applies when the page is asked for that day."""
    _chain, branch, till = smtp_everywhere(world, make_service)
    services.update_service(world.admin, branch, {"protected": True}, None, branch.version)
    tomorrow = services.chain_today() + datetime.timedelta(days=1)
    make_service("tse_swissbit", {"drive_letter": "E:"}, name="TSE neu",
                 workstation_id=world.st_till.id, start_date=tomorrow)
    auth.login(world.admin)
    url = f"/workstations/{world.st_till.id}/effective"
    body = client.get(url).get_data(as_text=True)
    assert f'<span class="badge protected">{de("protected")}</span>' in body
    assert de("not used: %(service)s is protected", service="ST SMTP") in body
    assert field_row(body, "Port") == ("587", f"{de('Branch')}")
    planned = de("planned from %(date)s", date=tomorrow.strftime("%d.%m.%Y"))
    assert planned in body and de("No service applies") in body
    later = client.get(f"{url}?on={tomorrow.isoformat()}").get_data(as_text=True)
    assert field_row(later, "Laufwerksbuchstabe") == ("E:", de("Workstation"))
    assert planned not in later


def test_filters_and_htmx_fragment(client, auth, world, make_service):
    """Group and text filters narrow the groups; htmx gets only the groups; 'all' adds the
    interface types without a service that could apply here."""
    smtp_everywhere(world, make_service)
    make_service("tse_swissbit", {"drive_letter": "E:"}, name="TSE", workstation_id=world.st_till.id)
    auth.login(world.admin)
    url = f"/workstations/{world.st_till.id}/effective"
    both = client.get(url).get_data(as_text=True)
    assert 'id="group-email"' in both and 'id="group-kassensichv"' in both
    fragment = client.get(f"{url}?group=kassensichv", headers=HX)
    assert b"<html" not in fragment.data and b'id="group-kassensichv"' in fragment.data
    assert b'id="group-email"' not in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]
    by_text = client.get(f"{url}?q=postausgang", headers=HX).get_data(as_text=True)
    assert 'id="group-email"' in by_text and 'id="group-kassensichv"' not in by_text
    by_service_name = client.get(f"{url}?q=tse", headers=HX).get_data(as_text=True)
    assert 'id="group-kassensichv"' in by_service_name
    nothing = client.get(f"{url}?q=gibtesnicht", headers=HX)
    assert de_html("No interface matches the filter.") in nothing.data
    page = client.get(f"{url}?group=email&q=smtp&all=1").get_data(as_text=True)
    assert '<option value="email" selected>' in page and 'value="smtp"' in page
    assert 'name="all" value="1" checked' in page
    every = client.get(f"{url}?all=1", headers=HX).get_data(as_text=True)
    assert 'id="group-barcode_reader"' in every  # a workstation type nobody set up
    branch_all = client.get(f"/branches/{world.st.id}/effective?all=1", headers=HX)
    assert b'id="group-barcode_reader"' not in branch_all.data  # never applies to a branch


def test_missing_records_and_login(client, auth, world):
    """Unknown workstations and branches are 404; the pages need a login."""
    assert client.get(f"/workstations/{world.st_till.id}/effective").status_code == 302
    auth.login(world.staff)
    assert client.get("/workstations/999/effective").status_code == 404
    assert client.get("/branches/999/effective").status_code == 404
    empty = client.get(f"/branches/{world.st.id}/effective")
    assert de_html("No service applies here yet.") in empty.data


def test_links_to_the_service_screen(app, client, auth, world, make_service):
    """Each service names its screen at /interfaces/<id> (a stand-in route where the interface
    screens are not registered)."""
    if not any(rule.rule.startswith("/interfaces/<int:") for rule in app.url_map.iter_rules()):
        app.add_url_rule("/interfaces/<int:service_id>", "stand_in", lambda service_id: "")
    _chain, branch, till = smtp_everywhere(world, make_service)
    auth.login(world.staff)
    body = client.get(f"/workstations/{world.st_till.id}/effective").get_data(as_text=True)
    assert f'href="/interfaces/{till.id}"' in body and f'href="/interfaces/{branch.id}"' not in body
    services.update_service(world.admin, branch, {"protected": True}, None, branch.version)
    body = client.get(f"/workstations/{world.st_till.id}/effective").get_data(as_text=True)
    assert f'href="/interfaces/{till.id}"' in body and f'href="/interfaces/{branch.id}"' in body


def test_statement_count_does_not_grow_with_services(client, auth, world, make_service,
                                                     count_queries):
    """Two services or a dozen at chain, branch and workstation: the same statements."""
    make_service("map_link", {"url_template": "https://maps.example.org/?q={adresse}"})
    make_service("email_order", {"company": str(world.dreve.id), "subject": "Bestellung",
                                 "order_template": "Standard"})
    auth.login(world.admin)
    url = f"/workstations/{world.st_till.id}/effective"

    def statements():
        # The fixtures' session serves the requests too: start each from an empty one.
        db.session.expire_all()
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    # The first request after the login may note the session's last use (at most once a
    # minute, docs/security.md): a statement that has nothing to do with the data.
    statements()
    few = statements()
    smtp_everywhere(world, make_service)
    make_service("tse_swissbit", {"drive_letter": "E:"}, workstation_id=world.st_till.id)
    make_service("email_order", {"company": str(world.egger.id), "subject": "Bestellung",
                                 "order_template": "Standard"}, branch_id=world.st.id)
    make_service("shipment_tracking_link",
                 {"carrier": "DHL", "tracking_url": "https://dhl.example/{sendungsnummer}"},
                 workstation_id=world.st_till.id)
    assert statements() == few
