"""Processes: opened from a template for a customer, the process page, ticking steps,
closing and reopening."""
import pytest

from tests.factories import HX
from tests.translated import de_html
from webapp.changelog.models import ChangeLogEntry
from webapp.customers.models import Customer
from webapp.errors import PermissionDenied
from webapp.extensions import db
from webapp.processes import services
from webapp.processes.labels import PROCESS_TYPE_LABELS
from webapp.processes.models import PROCESS_TYPES, Process, ProcessStep
from webapp.users.models import User


def the_process(app):
    with app.app_context():
        process = db.session.scalar(db.select(Process))
        return (process.id, process.title, process.process_type, process.branch_id,
                process.template_id, [(s.position, s.name, s.kind) for s in process.steps])


def step_state(app, step_id):
    with app.app_context():
        step = db.session.get(ProcessStep, step_id)
        return step.done_at is not None, step.done_by


def step_ids(app, process_id):
    with app.app_context():
        return db.session.scalars(db.select(ProcessStep.id).where(ProcessStep.process_id == process_id)
                                  .order_by(ProcessStep.position)).all()


def test_every_process_type_has_a_label():
    """The type select and the lists never show a bare code."""
    assert set(PROCESS_TYPE_LABELS) == set(PROCESS_TYPES)


# --- opening a process -------------------------------------------------------------------

def test_new_process_copies_the_template(client, admin, auth, make_customer, make_template,
                                         two_branches, app):
    """Type, steps (in order, with the Bestellservice kind) and, by default, the title come
    from the template; the user lands on the new process."""
    own, other = two_branches
    customer_id = make_customer("Mustermann", own)
    template_id = make_template()
    tab = client.get(f"/customers/{customer_id}/processes/new")
    assert tab.status_code == 200 and f'<option selected value="{own}">'.encode() in tab.data
    response = client.post(f"/customers/{customer_id}/processes/new", headers=HX, data={
        "template_id": str(template_id), "branch_id": str(other), "title": "",
        "csrf_token": auth.csrf_token()})
    assert response.status_code == 204
    process_id, title, process_type, branch_id, from_template, steps = the_process(app)
    assert response.headers["HX-Redirect"] == f"/processes/{process_id}"
    assert (title, process_type, branch_id, from_template) == ("Otoplastik", "ear_mould", other, template_id)
    assert steps == [(1, "Anamnese", "step"), (2, "Abdrucknahme", "step"),
                     (3, "Bestellservice", "order_service"), (4, "Anpassung", "step")]
    with app.app_context():
        entry = db.session.scalar(db.select(ChangeLogEntry))
        assert (entry.entity_type, entry.action, entry.branch_name) == ("process", "create", "Ulm")


def test_new_process_with_own_title(client, admin, auth, make_customer, make_template, two_branches, app):
    """A typed title wins over the template's name."""
    customer_id = make_customer("Mustermann", two_branches[0])
    client.post(f"/customers/{customer_id}/processes/new", data={
        "template_id": str(make_template()), "branch_id": str(two_branches[0]),
        "title": "Otoplastik Schwimmschutz", "csrf_token": auth.csrf_token()})
    assert the_process(app)[1] == "Otoplastik Schwimmschutz"


def test_inactive_templates_are_not_offered(client, admin, auth, make_customer, make_template, two_branches, app):
    """An inactive template is neither listed nor accepted: 422 beside the field."""
    customer_id = make_customer("Mustermann", two_branches[0])
    make_template("Aktiv")
    old = make_template("Veraltet", active=False)
    tab = client.get(f"/customers/{customer_id}/processes/new", headers=HX)
    assert b"Aktiv" in tab.data and b"Veraltet" not in tab.data
    response = client.post(f"/customers/{customer_id}/processes/new", headers=HX, data={
        "template_id": str(old), "branch_id": str(two_branches[0]), "csrf_token": auth.csrf_token()})
    assert response.status_code == 422 and b'id="template_id-error"' in response.data
    assert b'id="new-process-form"' in response.data and b"<html" not in response.data
    with app.app_context():
        assert db.session.scalar(db.select(Process)) is None


def test_staff_opens_processes_only_for_own_branches(client, login_as, auth, make_customer,
                                                     make_template, two_branches, app):
    """The branch select holds the user's branches (the customer's is not preselected when it
    is not one of them); another branch is a 403."""
    own, other = two_branches
    customer_id = make_customer("Fremd", other)
    template_id = make_template()
    login_as("sam", "staff", [own])
    tab = client.get(f"/customers/{customer_id}/processes/new", headers=HX)
    assert f'<option selected value="{own}">'.encode() in tab.data
    assert f'value="{other}"'.encode() not in tab.data
    data = {"template_id": str(template_id), "csrf_token": auth.csrf_token()}
    refused = client.post(f"/customers/{customer_id}/processes/new", data={**data, "branch_id": str(other)})
    assert refused.status_code in (403, 422)
    with app.app_context():
        assert db.session.scalar(db.select(Process)) is None
        sam = db.session.scalar(db.select(User).where(User.username == "sam"))
        with pytest.raises(PermissionDenied):
            services.create_process(sam, db.session.get(Customer, customer_id), template_id, other)
    ok = client.post(f"/customers/{customer_id}/processes/new", data={**data, "branch_id": str(own)})
    assert ok.status_code == 303


def test_user_without_branches_cannot_open_processes(client, login_as, auth, make_customer,
                                                     make_template, two_branches):
    """The tab explains it; a post is refused."""
    customer_id = make_customer("Mustermann", two_branches[0])
    template_id = make_template()
    login_as("nobody", "staff", [])
    tab = client.get(f"/customers/{customer_id}/processes/new")
    assert b"You belong to no branch" in tab.data
    response = client.post(f"/customers/{customer_id}/processes/new", data={
        "template_id": str(template_id), "branch_id": str(two_branches[0]), "csrf_token": auth.csrf_token()})
    assert response.status_code == 403


# --- the process page --------------------------------------------------------------------

def test_process_page_shows_head_steps_and_positions(client, admin, setting):
    """Customer, type, branch and status above the steps in order and the positions."""
    page = client.get(f"/processes/{setting['process']}")
    assert page.status_code == 200
    body = page.data.decode()
    assert "Mustermann, Erika" in body and "Ear mould" in body and "Stuttgart Mitte" in body
    assert body.index("Anamnese") < body.index("Abdrucknahme") < body.index("Bestellservice") < body.index("Anpassung")
    assert "Order service" in body and "ABD-1" in body and "Concha" in body
    assert 'id="positions"' in body and 'id="orders"' in body


def test_unknown_process_is_404(client, admin, auth):
    """Reading or changing a process that does not exist answers 404."""
    assert client.get("/processes/999").status_code == 404
    assert client.post("/processes/999/close", data={"csrf_token": auth.csrf_token()}).status_code == 404
    assert client.post("/processes/999/steps/1", data={"csrf_token": auth.csrf_token()}).status_code == 404


def test_process_page_queries_do_not_grow(client, admin, make_customer, make_process, two_branches,
                                          count_queries):
    """A fixed number of queries whatever the number of steps and positions."""
    customer_id = make_customer("Mustermann", two_branches[0])
    small = make_process(customer_id, two_branches[0], steps=("Eins", "*Bestellservice"), positions=[{}])
    big = make_process(customer_id, two_branches[0], steps=[f"Schritt {n}" for n in range(12)] + ["*Bestellservice"],
                       positions=[{"side": "left"}, {"side": "right"}, {}, {}, {}])
    with count_queries() as few:
        assert client.get(f"/processes/{small}").status_code == 200
    with count_queries() as many:
        assert client.get(f"/processes/{big}").status_code == 200
    assert many.count == few.count


# --- steps -------------------------------------------------------------------------------

def test_tick_a_step_done_and_undone(client, admin, auth, setting, app):
    """Done records who and when; undone clears both; the same tick twice changes nothing."""
    first = step_ids(app, setting["process"])[0]
    url = f"/processes/{setting['process']}/steps/{first}"
    done = client.post(url, headers=HX, data={"done": "1", "csrf_token": auth.csrf_token()})
    assert done.status_code == 200 and b"<html" not in done.data
    assert f'id="step-{first}"'.encode() in done.data and b"by Anna Admin" in done.data
    assert step_state(app, first) == (True, "Anna Admin")
    again = client.post(url, headers=HX, data={"done": "1", "csrf_token": auth.csrf_token()})
    assert again.status_code == 200
    undone = client.post(url, data={"done": "0", "csrf_token": auth.csrf_token()})
    assert undone.status_code == 303
    assert step_state(app, first) == (False, None)
    with app.app_context():
        changes = [e.changes for e in db.session.scalars(db.select(ChangeLogEntry).order_by(ChangeLogEntry.id))]
    assert changes == [[{"field": "step:Anamnese", "old": False, "new": True}],
                       [{"field": "step:Anamnese", "old": True, "new": False}]]


def test_order_service_step_is_not_ticked_here(client, admin, auth, setting, app):
    """The Bestellservice step has no tick button and refuses a crafted tick."""
    order_step = step_ids(app, setting["process"])[2]
    page = client.get(f"/processes/{setting['process']}").data
    assert f"/steps/{order_step}\"".encode() not in page
    response = client.post(f"/processes/{setting['process']}/steps/{order_step}", headers=HX,
                           data={"done": "1", "csrf_token": auth.csrf_token()})
    assert response.status_code == 409 and b"completed by what it orders" in response.data
    assert step_state(app, order_step) == (False, None)


def test_step_of_another_process_is_404(client, admin, auth, setting, make_process, app):
    """A step id is only valid under its own process."""
    other = make_process(setting["customer"], setting["own"])
    foreign = step_ids(app, other)[0]
    response = client.post(f"/processes/{setting['process']}/steps/{foreign}",
                           data={"done": "1", "csrf_token": auth.csrf_token()})
    assert response.status_code == 404


def test_staff_of_another_branch_reads_but_cannot_work(client, login_as, auth, setting, app):
    """Staff of another branch see the process without buttons; ticks, closing and
    positions are 403."""
    login_as("sam", "staff", [setting["other"]])
    process = setting["process"]
    page = client.get(f"/processes/{process}")
    assert page.status_code == 200
    assert b"Close process" not in page.data and b"New position" not in page.data
    first = step_ids(app, process)[0]
    token = auth.csrf_token()
    for url in (f"/processes/{process}/steps/{first}", f"/processes/{process}/close",
                f"/processes/{process}/reopen", f"/processes/{process}/positions/new"):
        assert client.post(url, data={"done": "1", "csrf_token": token}, headers=HX).status_code == 403, url
    assert step_state(app, first) == (False, None)


def test_close_and_reopen(client, admin, auth, setting, app):
    """A closed process refuses ticks and position changes until it is reopened."""
    process = setting["process"]
    token = auth.csrf_token()
    closed = client.post(f"/processes/{process}/close", data={"csrf_token": token}, headers=HX)
    assert closed.status_code == 204 and closed.headers["HX-Redirect"] == f"/processes/{process}"
    with app.app_context():
        assert db.session.get(Process, process).status == "closed"
    page = client.get(f"/processes/{process}").data
    assert b"The process is closed." in page and b"Reopen process" in page
    assert b"New position" not in page and b">Done<" not in page
    first = step_ids(app, process)[0]
    refused = client.post(f"/processes/{process}/steps/{first}", headers=HX,
                          data={"done": "1", "csrf_token": token})
    assert refused.status_code == 409 and b"Reopen it to change it" in refused.data
    client.post(f"/processes/{process}/reopen", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Process, process).status == "open"
        statuses = [e.changes for e in db.session.scalars(
            db.select(ChangeLogEntry).where(ChangeLogEntry.entity_type == "process"))]
    assert statuses == [[{"field": "status", "old": "open", "new": "closed"}],
                        [{"field": "status", "old": "closed", "new": "open"}]]


def test_process_page_in_german(client, make_user, auth, setting):
    """The process page reads in German: Otoplastik, Bestellservice, Otoplastik-Positionen."""
    make_user("berta", role="admin")
    auth.login("berta")
    page = client.get(f"/processes/{setting['process']}").data
    assert de_html("Ear-mould positions") in page and "Otoplastik-Positionen".encode() in page
    assert "Bestellservice".encode() in page and de_html("Steps") in page
    assert de_html("Left") in page and de_html("Close process") in page
    assert "1,5".encode() in page
