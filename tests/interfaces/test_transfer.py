"""Konfiguration exportieren / importieren: a branch's configuration goes out to JSON without
any secret and back in through the normal save rules (preview first, nothing saved until
confirmed), the effective configuration equal but for the secrets; files that do not fit are
refused whole with the reason beside the upload field; who may export and import."""
import html
import io
import json
from datetime import date

import pytest

from tests.factories import HX, SMTP_RAW, ear_mould_raw
from webapp.documents.models import DocumentTemplate
from webapp.extensions import db
from webapp.interfaces import resolver, services
from webapp.interfaces.models import InterfaceService

SECRETS = ("streng-geheim-1", "geheimer-vertrag-2", "dreve-pass-3", "dreve-key-4")
CARD_ROWS = [
    {"name": "GOLD", "ship_to": "customer", "shipping_interval": "weekly",
     "card_template": "Karte GOLD", "cover_letter": "Anschreiben Karte",
     "card_type": "nfc_rfid", "card_kind": "customer_card", "gift_box": True,
     "comment": "Bitte mit Geschenkbox"},
    {"name": "TEAM", "ship_to": "ordering_branch", "shipping_interval": "monthly",
     "card_template": "Karte GOLD", "card_type": "chip", "card_kind": "employee_card",
     "roller_clip": True},
]


pytestmark = pytest.mark.usefixtures("english")  # tests/interfaces/conftest.py


@pytest.fixture
def branch_setup(world, make_service):
    """Stuttgart's own services — mail with a password, customer cards with a contract key
    and a table of card templates, Dreve ordering for Dreve with login and key — on top of
    the chain's mail service."""
    for name, kind in (("Karte GOLD", "card_layout"), ("Anschreiben Karte", "cover_letter")):
        db.session.add(DocumentTemplate(name=name, kind=kind, content="{{ name }}"))
    db.session.commit()
    make_service("smtp", name="Mail Kette")
    st = world.st.id
    made = [
        make_service("smtp", {**SMTP_RAW, "password": SECRETS[0]}, name="Mail ST",
                     branch_id=st),
        make_service("card_order", {"base_url": "https://cards.example.org",
                                    "contract_number": "10001", "contract_key": SECRETS[1],
                                    "templates": CARD_ROWS},
                     name="Kundenkarten ST", branch_id=st, usage_client=True,
                     usage_server=False, start_date=date(2026, 1, 1)),
        make_service("dreve_smartorder",
                     {**ear_mould_raw(world.dreve, supplier=world.dreve),
                      "password": SECRETS[2], "api_key": SECRETS[3]},
                     name="Dreve ST", branch_id=st, protected=True),
    ]
    return made


def snapshot(branch):
    """The effective configuration of `branch` without ids: per interface the applying
    services with every non-secret value and its origin, and the secrets' set flags apart."""
    config = resolver.effective_configuration(branch=branch)
    values, secrets = {}, {}
    for _group, entries in config.groups:
        for entry in entries:
            key = entry.interface.key
            values[key] = [
                (r.service.name, r.origin, r.protected, r.service.usage_server,
                 r.service.usage_client, r.service.start_date,
                 {k: (fv.value, fv.origin) for k, fv in r.fields.items()
                  if not fv.spec.is_secret},
                 {k: (t.rows, t.origin) for k, t in r.tables.items()})
                for r in entry.applied]
            secrets[key] = [{k: fv.is_set for k, fv in r.fields.items() if fv.spec.is_secret}
                            for r in entry.applied]
    return values, secrets


def upload(client, token, content, name="konfiguration.json"):
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    return client.post("/interfaces/import", data={"csrf_token": token,
                                                   "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def confirm(client, token, body):
    """Press 'Importieren' on a preview: post the form's hidden configuration."""
    start = body.index('<textarea name="configuration" hidden>') + len(
        '<textarea name="configuration" hidden>')
    configuration = html.unescape(body[start:body.index("</textarea>", start)])
    return client.post("/interfaces/import/confirm",
                       data={"csrf_token": token, "configuration": configuration})


def own_services(world):
    db.session.expire_all()
    return db.session.scalars(db.select(InterfaceService).where(
        InterfaceService.branch_id == world.st.id).order_by(InterfaceService.name)).all()


def test_a_branch_goes_out_and_back_in_equal_but_for_secrets(client, auth, csrf, world, branch_setup):
    """Export Stuttgart, delete its services, import the file: the preview creates three and
    saves nothing; confirmed, the effective configuration is as before, secrets unset."""
    before, secrets_before = snapshot(world.st)
    auth.login(world.admin)
    exported = client.get(f"/branches/{world.st.id}/configuration.json")
    assert exported.status_code == 200 and exported.mimetype == "application/json"
    assert exported.headers["Content-Disposition"].startswith(
        'attachment; filename="Schnittstellen-Filiale-ST-')
    for secret in SECRETS:
        assert secret.encode() not in exported.data
    content = json.loads(exported.data)
    assert content["scope"] == {"level": "branch", "branch": "ST"}
    assert "never exported" in content["secrets"]
    by_name = {item["name"]: item for item in content["services"]}
    assert sorted(by_name) == ["Dreve ST", "Kundenkarten ST", "Mail ST"]  # not the chain's
    assert by_name["Dreve ST"]["values"]["companies"] == ["Dreve"]
    assert by_name["Dreve ST"]["values"]["supplier"] == "Dreve"
    assert by_name["Dreve ST"]["secrets_not_exported"] == ["api_key", "password"]
    assert "password" not in by_name["Mail ST"]["values"]
    assert "contract_key" not in by_name["Kundenkarten ST"]["values"]
    assert by_name["Kundenkarten ST"]["values"]["templates"][0]["name"] == "GOLD"

    for service in branch_setup:
        services.delete_service(world.admin, service)
    db.session.commit()
    assert own_services(world) == []

    token = csrf()
    preview = upload(client, token, exported.data)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200, body
    assert body.count('<span class="badge action-create">') == 3
    assert "Enter afterwards: Password, API key" in body
    assert "Port</span>:" in body and "587" in body
    assert own_services(world) == []  # a preview saves nothing

    done = confirm(client, token, body)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "The configuration was imported." in done.get_data(as_text=True)
    after, secrets_after = snapshot(world.st)
    assert after == before
    flags = lambda found: {(key, field): flag for key, rows in found.items()  # noqa: E731
                           for row in rows for field, flag in row.items()}
    assert {key for key, flag in flags(secrets_before).items() if flag} == {
        ("smtp", "password"), ("card_order", "contract_key"),
        ("dreve_smartorder", "password"), ("dreve_smartorder", "api_key")}
    assert flags(secrets_after) == dict.fromkeys(flags(secrets_before), False)
    assert [s.secret_keys for s in own_services(world)] == [set(), set(), set()]


def test_an_import_over_existing_services_changes_only_what_differs(client, auth, csrf, world,
                                                                     branch_setup):
    """The same file again skips every service (unchanged); a changed port is an update that
    shows old → new, and the stored password stays."""
    auth.login(world.admin)
    content = json.loads(client.get(f"/branches/{world.st.id}/configuration.json").data)
    token = csrf()
    same = upload(client, token, content).get_data(as_text=True)
    assert same.count('<span class="badge action-skip">') == 3
    assert "unchanged" in same
    mail = next(item for item in content["services"] if item["name"] == "Mail ST")
    mail["values"]["port"] = 25
    preview = upload(client, token, content, name="geändert.json").get_data(as_text=True)
    assert preview.count('<span class="badge action-update">') == 1
    assert '<span class="old">587</span> → <span class="new">25</span>' in preview
    assert confirm(client, token, preview).status_code == 200
    stored = next(s for s in own_services(world) if s.name == "Mail ST")
    assert stored.values["port"] == 25
    assert services.stored_secret(stored, "password") == SECRETS[0]


@pytest.mark.parametrize("break_it, reason", [
    (lambda c: c.update(format="something else"), "not an interface configuration"),
    (lambda c: c["services"][0].update(interface="no_such_interface"),
     "the catalogue has no interface “no_such_interface”"),
    (lambda c: c["services"][0]["values"].update(colour="blue"),
     "colour: The catalogue has no such field."),
    (lambda c: c["services"][0]["values"].update(port="viele"), "Port: Enter a number."),
    (lambda c: c["services"][0].update(branch="XX"), "no branch with the code “XX”"),
    (lambda c: c["services"][0]["values"].update(password="klartext"),
     "Secrets are not imported"),
    (lambda c: c["services"][1]["values"].update(supplier="Niemand GmbH"),
     "There is no company named “Niemand GmbH”."),
], ids=("format", "interface", "field", "value", "branch", "secret", "company"))
def test_a_file_that_does_not_fit_is_refused_whole(client, auth, csrf, world, break_it, reason):
    """Refused beside the upload field (422) with the reason; the file's valid service is
    not saved either, and confirming such a file saves nothing."""
    content = {"format": "schnittstellen.interface-configuration", "version": 1, "services": [
        {"interface": "smtp", "name": "Mail UL", "branch": "UL", "workstation": None,
         "enabled": True, "protected": False, "usage_server": True, "usage_client": False,
         "start_date": None, "values": {"host": "mail.example.org", "port": 587,
                                        "encryption": "starttls",
                                        "sender_address": "ulm@example.org"}},
        {"interface": "dreve_smartorder", "name": "Dreve UL", "branch": "UL",
         "values": {"companies": ["Dreve"], "supplier": "Dreve",
                    "base_url": "https://lab.example.org", "username": "1"}},
    ]}
    break_it(content)
    auth.login(world.admin)
    token = csrf()
    response = upload(client, token, content, name="kaputt.json")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    error = body[body.index('id="file-error"'):]
    assert reason in error, error
    assert 'aria-describedby="file-error"' in body
    fragment = client.post("/interfaces/import/confirm",
                           data={"csrf_token": token, "configuration": json.dumps(content)},
                           headers=HX)
    assert fragment.status_code == 422 and reason in fragment.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(InterfaceService)) == 0


def test_a_file_that_is_no_json_is_refused(client, auth, csrf, world):
    """Not JSON at all, or no file chosen: 422 beside the field."""
    auth.login(world.admin)
    token = csrf()
    response = upload(client, token, b"\x89PNG not json")
    assert response.status_code == 422
    assert "not an interface configuration" in response.get_data(as_text=True)
    empty = client.post("/interfaces/import", data={"csrf_token": token},
                        content_type="multipart/form-data")
    assert empty.status_code == 422
    assert "Choose the configuration file" in empty.get_data(as_text=True)


def test_who_may_export_and_import(client, auth, csrf, world, make_service):
    """Export as the effective configuration: the chain's for everyone, a branch's or a
    workstation's for whoever reads the branch (404 otherwise). Import: administrators only
    (403), also the confirmation."""
    make_service("smtp", name="Mail Kette")  # the till's service refines it
    make_service("smtp", {"port": "25"}, name="Mail UL-Kasse", workstation_id=world.ul_till.id)
    for user in (world.manager, world.staff):
        auth.login(user)
        token = csrf()
        assert client.get("/interfaces/configuration.json").status_code == 200
        assert client.get(f"/branches/{world.st.id}/configuration.json").status_code == 200
        assert client.get(f"/branches/{world.ul.id}/configuration.json").status_code == 404
        assert client.get(
            f"/workstations/{world.st_till.id}/configuration.json").status_code == 200
        assert client.get(
            f"/workstations/{world.ul_till.id}/configuration.json").status_code == 404
        assert client.get("/interfaces/import").status_code == 403
        assert upload(client, token, {"format": "x"}).status_code == 403
        assert client.post("/interfaces/import/confirm",
                           data={"csrf_token": token, "configuration": "{}"}).status_code == 403
        listing = client.get("/interfaces/").get_data(as_text=True)
        assert 'href="/interfaces/configuration.json"' in listing
        assert 'href="/interfaces/import"' not in listing
        auth.logout()
    auth.login(world.admin)
    station = json.loads(client.get(f"/workstations/{world.ul_till.id}/configuration.json").data)
    assert station["scope"] == {"level": "workstation", "branch": "UL",
                                "workstation": "UL-KASSE"}
    assert [item["name"] for item in station["services"]] == ["Mail UL-Kasse"]
    page = client.get("/interfaces/").get_data(as_text=True)
    assert 'href="/interfaces/configuration.json"' in page and 'href="/interfaces/import"' in page


def test_a_branchs_file_sets_up_another_branch(client, auth, csrf, world, branch_setup):
    """The file's branch code changed from ST to UL: Ulm gets the same services, Stuttgart's
    stay as they are."""
    auth.login(world.admin)
    content = json.loads(client.get(f"/branches/{world.st.id}/configuration.json").data)
    for item in content["services"]:
        item["branch"] = "UL"
    token = csrf()
    preview = upload(client, token, content).get_data(as_text=True)
    assert preview.count('<span class="badge action-create">') == 3
    assert confirm(client, token, preview).status_code == 200
    db.session.expire_all()
    ulm = db.session.scalars(db.select(InterfaceService.name).where(
        InterfaceService.branch_id == world.ul.id).order_by(InterfaceService.name)).all()
    assert ulm == ["Dreve ST", "Kundenkarten ST", "Mail ST"]
    assert len(own_services(world)) == 3
