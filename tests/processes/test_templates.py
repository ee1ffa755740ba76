"""Process templates (Vorgangsvorlagen): administrators create and edit them and their
ordered steps; everyone else only reads."""
import pytest

from tests.factories import HX
from tests.translated import de_html
from webapp.changelog.models import ChangeLogEntry
from webapp.extensions import db
from webapp.processes.models import Process, ProcessStep, ProcessTemplate, TemplateStep


def steps_of(app, template_id):
    with app.app_context():
        return [(s.position, s.name, s.kind) for s in db.session.scalars(
            db.select(TemplateStep).where(TemplateStep.template_id == template_id)
            .order_by(TemplateStep.position))]


def step_ids(app, template_id):
    with app.app_context():
        return db.session.scalars(db.select(TemplateStep.id).where(TemplateStep.template_id == template_id)
                                  .order_by(TemplateStep.position)).all()


def log(app):
    with app.app_context():
        return [(e.action, e.entity_type, e.changes)
                for e in db.session.scalars(db.select(ChangeLogEntry).order_by(ChangeLogEntry.id))]


def test_list_and_editor(client, admin, make_template):
    """The list names type and steps; the editor shows the steps in order."""
    template_id = make_template()
    make_template("Alt", steps=("Anamnese",), process_type="repair", active=False)
    page = client.get("/process-templates/")
    assert page.status_code == 200
    assert b"Otoplastik" in page.data and b"Ear mould" in page.data and b"not active" in page.data
    editor = client.get(f"/process-templates/{template_id}", headers=HX)
    assert b"<html" not in editor.data and b'id="template-form"' in editor.data
    body = editor.data.decode()
    assert body.index("Anamnese") < body.index("Abdrucknahme") < body.index('value="Anpassung"')
    assert client.get(f"/process-templates/{template_id}").status_code == 200


def test_create_template_then_add_steps(client, admin, auth, app):
    """A new template leads to its editor; steps are added at the end."""
    response = client.post("/process-templates/new", headers=HX, data={
        "name": "HG Versorgung", "process_type": "hearing_aid", "active": "y",
        "csrf_token": auth.csrf_token()})
    assert response.status_code == 204
    with app.app_context():
        template = db.session.scalar(db.select(ProcessTemplate))
        assert (template.name, template.process_type, template.active) == ("HG Versorgung", "hearing_aid", True)
        template_id = template.id
    assert response.headers["HX-Redirect"] == f"/process-templates/{template_id}"
    for name in ("Anamnese", "Audiometrie"):
        added = client.post(f"/process-templates/{template_id}/steps", headers=HX, data={
            "new-step-name": name, "new-step-kind": "step", "csrf_token": auth.csrf_token()})
        assert added.status_code == 200 and b'id="template-steps"' in added.data
        assert "templates-changed" in added.headers["HX-Trigger"]
    assert steps_of(app, template_id) == [(1, "Anamnese", "step"), (2, "Audiometrie", "step")]
    entries = log(app)
    assert entries[0][:2] == ("create", "process_template")
    assert entries[-1] == ("update", "process_template",
                           [{"field": "steps", "old": ["Anamnese"], "new": ["Anamnese", "Audiometrie"]}])


def test_invalid_template_gets_messages(client, admin, auth, make_template, app):
    """Empty or duplicate names and unknown types: 422 with the message beside the field."""
    make_template("Otoplastik")
    token = auth.csrf_token()
    for data, field in (({"name": ""}, "name"), ({"name": "otoplastik"}, "name"),
                        ({"name": "Neu", "process_type": "car"}, "process_type")):
        response = client.post("/process-templates/new", headers=HX,
                               data={"process_type": "repair", "csrf_token": token, **data})
        assert response.status_code == 422, data
        assert f'id="{field}-error"'.encode() in response.data, data
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ProcessTemplate)) == 1


def test_edit_template_fields(client, admin, auth, make_template, app):
    """Name, type and active flag are saved with the version; a stale version is refused."""
    template_id = make_template()
    response = client.post(f"/process-templates/{template_id}", headers=HX, data={
        "name": "Otoplastik neu", "process_type": "ear_mould", "version": "1",
        "csrf_token": auth.csrf_token()})
    assert response.status_code == 200 and b"Saved." in response.data
    with app.app_context():
        template = db.session.get(ProcessTemplate, template_id)
        assert (template.name, template.active, template.version) == ("Otoplastik neu", False, 2)
    stale = client.post(f"/process-templates/{template_id}", headers=HX, data={
        "name": "Wieder", "process_type": "ear_mould", "version": "1", "csrf_token": auth.csrf_token()})
    assert stale.status_code == 409


def test_rename_move_and_remove_steps(client, admin, auth, make_template, app):
    """Steps are renamed, moved up and down and removed; positions stay 1…n."""
    template_id = make_template()
    first, second, order, last = step_ids(app, template_id)
    token = auth.csrf_token()
    renamed = client.post(f"/process-templates/{template_id}/steps/{second}", headers=HX, data={
        f"step-{second}-name": "Abdruck/Scan", f"step-{second}-kind": "step", "csrf_token": token})
    assert renamed.status_code == 200
    client.post(f"/process-templates/{template_id}/steps/{last}/move", headers=HX,
                data={"direction": "up", "csrf_token": token})
    assert [name for _p, name, _k in steps_of(app, template_id)] == [
        "Anamnese", "Abdruck/Scan", "Anpassung", "Bestellservice"]
    client.post(f"/process-templates/{template_id}/steps/{first}/move", headers=HX,
                data={"direction": "down", "csrf_token": token})
    # Moving past either end changes nothing.
    client.post(f"/process-templates/{template_id}/steps/{order}/move", headers=HX,
                data={"direction": "down", "csrf_token": token})
    assert [name for _p, name, _k in steps_of(app, template_id)] == [
        "Abdruck/Scan", "Anamnese", "Anpassung", "Bestellservice"]
    removed = client.post(f"/process-templates/{template_id}/steps/{first}/delete", headers=HX,
                          data={"csrf_token": token})
    assert removed.status_code == 200 and b"Step removed." in removed.data
    assert steps_of(app, template_id) == [(1, "Abdruck/Scan", "step"), (2, "Anpassung", "step"),
                                          (3, "Bestellservice", "order_service")]


def test_plain_step_post_redirects_to_the_editor(client, admin, auth, make_template, app):
    """Without htmx a step change redirects back to the template."""
    template_id = make_template()
    first = step_ids(app, template_id)[0]
    response = client.post(f"/process-templates/{template_id}/steps/{first}/move",
                           data={"direction": "down", "csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/process-templates/{template_id}"


def test_at_most_one_order_service_step(client, admin, auth, make_template, app):
    """A second 'Bestellservice' is refused beside the kind, when adding and when changing."""
    template_id = make_template()
    first = step_ids(app, template_id)[0]
    token = auth.csrf_token()
    added = client.post(f"/process-templates/{template_id}/steps", headers=HX, data={
        "new-step-name": "Nochmal", "new-step-kind": "order_service", "csrf_token": token})
    assert added.status_code == 422 and b'id="new-step-kind-error"' in added.data
    assert b'value="Nochmal"' in added.data
    changed = client.post(f"/process-templates/{template_id}/steps/{first}", headers=HX, data={
        f"step-{first}-name": "Anamnese", f"step-{first}-kind": "order_service", "csrf_token": token})
    assert changed.status_code == 422 and f'id="step-{first}-kind-error"'.encode() in changed.data
    empty = client.post(f"/process-templates/{template_id}/steps", headers=HX, data={
        "new-step-name": "", "new-step-kind": "step", "csrf_token": token})
    assert empty.status_code == 422 and b'id="new-step-name-error"' in empty.data
    assert len(steps_of(app, template_id)) == 4


def test_delete_template_keeps_processes_and_their_steps(client, admin, auth, make_template,
                                                         make_customer, two_branches, app):
    """Deleting is allowed: processes made from the template keep their copied steps and
    lose only the reference."""
    template_id = make_template()
    customer_id = make_customer("Mustermann", two_branches[0])
    created = client.post(f"/customers/{customer_id}/processes/new", data={
        "template_id": str(template_id), "branch_id": str(two_branches[0]),
        "csrf_token": auth.csrf_token()})
    assert created.status_code == 303
    response = client.post(f"/process-templates/{template_id}/delete", headers=HX,
                           data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 200 and response.headers["HX-Push-Url"] == "/process-templates/"
    with app.app_context():
        assert db.session.get(ProcessTemplate, template_id) is None
        process = db.session.scalar(db.select(Process))
        assert process.template_id is None
        assert db.session.scalar(db.select(db.func.count()).select_from(ProcessStep)) == 4
        assert db.session.scalar(db.select(db.func.count()).select_from(TemplateStep)) == 0


@pytest.mark.parametrize("role", ["staff", "branch_manager"])
def test_only_admins_change_templates(client, login_as, auth, make_template, two_branches, app, role):
    """Others read the templates read-only; every change is 403."""
    template_id = make_template()
    first = step_ids(app, template_id)[0]
    login_as("sam", role, [two_branches[0]])
    page = client.get(f"/process-templates/{template_id}")
    assert page.status_code == 200
    assert b'id="new-step-name"' not in page.data and b"<fieldset disabled>" in page.data
    token = auth.csrf_token()
    posts = [
        ("/process-templates/new", {"name": "X", "process_type": "other"}),
        (f"/process-templates/{template_id}", {"name": "X", "process_type": "other", "version": "1"}),
        (f"/process-templates/{template_id}/delete", {}),
        (f"/process-templates/{template_id}/steps", {"new-step-name": "X", "new-step-kind": "step"}),
        (f"/process-templates/{template_id}/steps/{first}", {f"step-{first}-name": "X", f"step-{first}-kind": "step"}),
        (f"/process-templates/{template_id}/steps/{first}/move", {"direction": "down"}),
        (f"/process-templates/{template_id}/steps/{first}/delete", {}),
    ]
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}, headers=HX).status_code == 403, url
    assert client.get(f"/process-templates/{template_id}/delete").status_code == 403
    assert len(steps_of(app, template_id)) == 4
    assert b"/process-templates/" not in client.get("/customers/").data  # no nav entry


def test_template_screen_in_german(client, make_user, auth, make_template):
    """The templates read in German: type and step kind labels included."""
    make_user("berta", role="admin")
    auth.login("berta")
    template_id = make_template()
    page = client.get(f"/process-templates/{template_id}").data
    assert de_html("Process templates") in page and "Vorgangsvorlagen".encode() in page
    assert "Otoplastik".encode() in page and "Bestellservice".encode() in page
    assert de_html("Add step") in page
