"""Fields that decide what the server runs or where it connects are admin-only: a program is
one of the operator's ALLOWED_PROGRAMS, URLs and hosts pass the operator's outbound policy
when saved, and branch managers see those fields read-only and cannot change them."""
import pytest

from tests.factories import HX, SMTP_RAW, dreve_form, make_config
from tests.translated import de
from webapp.extensions import db
from webapp.interfaces.models import InterfaceService

ADMIN_ONLY = "Only administrators can change this field."


@pytest.fixture
def lab_programs(tmp_path):
    """Two real scripts the operator allows, and one that is not on the list."""
    folder = tmp_path / "programs"
    folder.mkdir()
    paths = {}
    for name in ("labor", "ablage", "fremd"):
        path = folder / f"{name}.sh"
        path.write_text("#!/bin/sh\necho '{\"ok\": true}'\n")
        path.chmod(0o755)
        paths[name] = str(path)
    return paths


@pytest.fixture
def app_config(tmp_path, lab_programs):
    return make_config(tmp_path, ALLOWED_PROGRAMS=[
        {"path": lab_programs["labor"], "label": "Laborsoftware"},
        {"path": lab_programs["ablage"], "label": "Ablage"}])


def command_form(world, token, program, **overrides):
    data = {"csrf_token": token, "name": "Laborprogramm", "branch_id": str(world.st.id),
            "usage_server": "y", "enabled": "y", "companies": str(world.hoerluchs.id),
            "program": program, "arguments": "--auftrag {auftragsdatei}", "working_dir": "",
            "timeout": "60", "output_format": "json"}
    data.update(overrides)
    return data


@pytest.fixture
def command_service(world, make_service, lab_programs):
    """Stuttgart's command-line service, set up by the admin with the lab's program."""
    return make_service("ear_mould_command", {
        "companies": [str(world.hoerluchs.id)], "program": lab_programs["labor"],
        "arguments": "--auftrag {auftragsdatei}", "timeout": "60", "output_format": "json"},
        name="Laborprogramm", branch_id=world.st.id)


def stored(service_id):
    db.session.expire_all()
    return db.session.get(InterfaceService, service_id)


def test_the_branch_managers_program_change_is_refused(client, auth, csrf, world,
                                                       command_service, lab_programs):
    """Maria sees program and command line read-only; choosing another (allowed) program or
    changing the arguments is refused beside the field (422) and nothing changes. Saving
    other fields works and leaves the program as the admin set it, also when her browser
    leaves the locked fields out."""
    auth.login(world.manager)
    url = f"/interfaces/{command_service.id}"
    editor = client.get(url, headers=HX).get_data(as_text=True)
    program_select = editor.split('id="f-program"')[1].split("</select>")[0]
    assert " disabled" in program_select.split(">")[0]
    assert de(ADMIN_ONLY) in editor
    token = csrf()
    for change in ({"program": lab_programs["ablage"]}, {"program": lab_programs["fremd"]},
                   {"arguments": "--ablage /etc"}, {"working_dir": "/"}):
        data = {**command_form(world, token, lab_programs["labor"], version="1"), **change}
        response = client.post(url, headers=HX, data=data)
        assert response.status_code == 422, change
        assert de(ADMIN_ONLY) in response.get_data(as_text=True)
    service = stored(command_service.id)
    assert service.version == 1 and service.values["program"] == lab_programs["labor"]
    assert service.values["arguments"] == "--auftrag {auftragsdatei}"

    same = client.post(url, headers=HX, data=command_form(
        world, token, lab_programs["labor"], name="Laborprogramm ST", version="1"))
    assert same.status_code == 200
    left_out = command_form(world, token, "", name="Laborprogramm ST", timeout="90",
                            version="2")
    for key in ("program", "arguments", "working_dir"):
        del left_out[key]
    assert client.post(url, headers=HX, data=left_out).status_code == 200
    service = stored(command_service.id)
    assert (service.name, service.values["timeout"]) == ("Laborprogramm ST", 90)
    assert service.values["program"] == lab_programs["labor"]
    assert service.values["arguments"] == "--auftrag {auftragsdatei}"


def test_programs_come_from_the_operators_list(client, auth, csrf, world, lab_programs):
    """The admin picks a program by its label; a path not on the list is refused (422)."""
    auth.login(world.admin)
    form = client.get("/interfaces/new/ear_mould_command", headers=HX).get_data(as_text=True)
    assert f'<option value="{lab_programs["labor"]}">Laborsoftware</option>' in form
    assert lab_programs["fremd"] not in form
    token = csrf()
    for program in (lab_programs["fremd"], "/bin/sh"):
        refused = client.post("/interfaces/new/ear_mould_command", headers=HX,
                              data=command_form(world, token, program))
        assert refused.status_code == 422
        assert de("Choose one of the programs the operator allows.") in refused.get_data(
            as_text=True)
    assert client.post("/interfaces/new/ear_mould_command", headers=HX,
                       data=command_form(world, token, lab_programs["ablage"])).status_code == 200
    (service,) = db.session.scalars(db.select(InterfaceService)).all()
    assert service.values["program"] == lab_programs["ablage"]


def test_without_allowed_programs_the_editor_says_why(app, client, auth, world):
    """An empty ALLOWED_PROGRAMS: the command-line interfaces cannot be used, and the editor
    names the setting."""
    app.config["ALLOWED_PROGRAMS"] = []
    auth.login(world.admin)
    for key, name in (("ear_mould_command", "Kommandozeilenbefehl"),
                      ("ocr_command", "OCR per Kommandozeile (lokal)")):
        form = client.get(f"/interfaces/new/{key}", headers=HX).get_data(as_text=True)
        assert de("This server allows no programs, so %(interface)s cannot be used. The "
                  "operator lists the programs that may run in the instance configuration "
                  "(ALLOWED_PROGRAMS).", interface=name) in form
    smtp = client.get("/interfaces/new/smtp", headers=HX).get_data(as_text=True)
    assert "ALLOWED_PROGRAMS" not in smtp


@pytest.mark.parametrize("base_url, message", [
    ("http://order.dreve.example", "Use an https address. Plain http is allowed only for the "
                                   "hosts the operator lists in OUTBOUND_HTTP_HOSTS."),
    ("http://10.0.0.7:8080", "Use an https address. Plain http is allowed only for the hosts "
                             "the operator lists in OUTBOUND_HTTP_HOSTS."),
    ("https://10.0.0.7", "Loopback, link-local and private addresses are refused unless the "
                         "operator allows them in OUTBOUND_ALLOWED_NETWORKS."),
    ("https://169.254.169.254/latest", "Loopback, link-local and private addresses are "
                                       "refused unless the operator allows them in "
                                       "OUTBOUND_ALLOWED_NETWORKS."),
    ("https://[fd00::1]", "Loopback, link-local and private addresses are refused unless the "
                          "operator allows them in OUTBOUND_ALLOWED_NETWORKS."),
])
def test_a_url_field_to_a_refused_address_is_refused_on_save(client, auth, csrf, world,
                                                            base_url, message):
    """Plain http to a host the operator did not list, or a private or link-local address:
    422 beside the field, nothing saved. https to a public name is fine."""
    auth.login(world.admin)
    token = csrf()
    response = client.post("/interfaces/new/dreve_smartorder", headers=HX,
                           data=dreve_form(world, token, base_url=base_url))
    assert response.status_code == 422
    assert de(message) in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(InterfaceService.id))) == 0
    assert client.post("/interfaces/new/dreve_smartorder", headers=HX,
                       data=dreve_form(world, token)).status_code == 200


def test_loopback_is_refused_on_save_unless_the_operator_allows_it(app, client, auth, csrf,
                                                                   world):
    """Without the tests' loopback settings, the sandbox's http://127.0.0.1 and an SMTP
    host 127.0.0.1 are refused; the tests' configuration allows exactly that."""
    app.config.update(OUTBOUND_HTTP_HOSTS=[], OUTBOUND_ALLOWED_NETWORKS=[])
    auth.login(world.admin)
    token = csrf()
    sandbox = client.post("/interfaces/new/dreve_smartorder", headers=HX,
                          data=dreve_form(world, token, base_url="http://127.0.0.1:5010/dreve"))
    assert sandbox.status_code == 422
    smtp = {"csrf_token": token, "name": "Mail", "usage_server": "y", "enabled": "y",
            **SMTP_RAW}
    for host in ("127.0.0.1", "::1", "192.168.1.20"):
        response = client.post("/interfaces/new/smtp", headers=HX, data={**smtp, "host": host})
        assert response.status_code == 422, host
        assert de("Loopback, link-local and private addresses are refused unless the operator "
                  "allows them in OUTBOUND_ALLOWED_NETWORKS.") in response.get_data(as_text=True)
    bad_name = client.post("/interfaces/new/smtp", headers=HX,
                           data={**smtp, "host": "smtp://mail.example.org"})
    assert bad_name.status_code == 422
    app.config.update(OUTBOUND_HTTP_HOSTS=["127.0.0.1"],
                      OUTBOUND_ALLOWED_NETWORKS=["127.0.0.1/32"])
    assert client.post("/interfaces/new/smtp", headers=HX,
                       data={**smtp, "host": "127.0.0.1"}).status_code == 200


def test_the_branch_managers_host_change_is_refused(client, auth, csrf, world, make_service):
    """Stuttgart's mail server: Maria may rename it, not point it at another host or port."""
    service = make_service("smtp", name="ST SMTP", branch_id=world.st.id)
    auth.login(world.manager)
    token = csrf()
    form = {"csrf_token": token, "name": "ST SMTP", "branch_id": str(world.st.id),
            "usage_server": "y", "enabled": "y", "version": "1", **SMTP_RAW}
    for change in ({"host": "127.0.0.1"}, {"host": "mail.other.example"}, {"port": "6379"}):
        response = client.post(f"/interfaces/{service.id}", headers=HX, data={**form, **change})
        assert response.status_code == 422, change
    assert client.post(f"/interfaces/{service.id}", headers=HX,
                       data={**form, "name": "Mail ST"}).status_code == 200
    service = stored(service.id)
    assert service.name == "Mail ST"
    assert (service.values["host"], service.values["port"]) == ("mail.example.org", 587)
