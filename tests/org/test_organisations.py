"""Branch organisations (Filialorganisationen): named groups of branches, kept by
administrators through htmx partials and plain page loads, read by everyone, logged."""
import pytest
from sqlalchemy import event, func, text

from tests.factories import HX
from tests.translated import de, de_html
from webapp.changelog.models import ChangeLogEntry
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.org import services
from webapp.org.models import Branch, BranchOrganisation, branch_organisation_members
from webapp.users.models import User


@pytest.fixture
def branches(make_branch):
    """Esslingen (ES), Ludwigsburg (LB) and Stuttgart Mitte (ST): their ids by short code."""
    return {code: make_branch(name, code) for name, code in
            (("Esslingen", "ES"), ("Ludwigsburg", "LB"), ("Stuttgart Mitte", "ST"))}


@pytest.fixture
def make_organisation(app):
    def make(name, branch_ids, description=""):
        with app.app_context():
            organisation = BranchOrganisation(
                name=name, description=description, updated_by="test",
                branches=[db.session.get(Branch, branch_id) for branch_id in branch_ids])
            db.session.add(organisation)
            db.session.commit()
            return organisation.id
    return make


def form_data(auth, members, **overrides):
    data = {"name": "Region Neckar", "description": "Filialen am Neckar",
            "branch_ids": [str(branch_id) for branch_id in members],
            "csrf_token": auth.csrf_token()}
    data.update(overrides)
    return data


def organisation_rows(app):
    """(name, description, version, [branch names]) of every organisation, by name."""
    with app.app_context():
        return [(o.name, o.description, o.version, [b.name for b in o.branches])
                for o in db.session.scalars(db.select(BranchOrganisation)
                                            .order_by(BranchOrganisation.name))]


def log_entries(app, entity_type=services.ORGANISATION):
    with app.app_context():
        return [(entry.action, entry.entity_label, entry.changes) for entry in db.session.scalars(
            db.select(ChangeLogEntry).where(ChangeLogEntry.entity_type == entity_type)
            .order_by(ChangeLogEntry.id))]


# --- screens -------------------------------------------------------------------------------

def test_list_page_in_the_administration_menu(client, admin, branches, make_organisation):
    """Verwaltung → Filialorganisationen lists each organisation with its description and
    its branches by name; an htmx refresh gets only the table."""
    make_organisation("Region Neckar", [branches["LB"], branches["ES"]], "Am Neckar")
    make_organisation("Alle Süd", [branches["ST"]])
    page = client.get("/branch-organisations/").get_data(as_text=True)
    assert f"<h1>{de('Branch organisations')}</h1>" in page
    assert 'href="/branch-organisations/" aria-current="page"' in page
    assert "Am Neckar" in page and "Esslingen, Ludwigsburg (2)" in page
    assert page.index("Alle Süd") < page.index("Region Neckar")
    assert de("New branch organisation") in page
    fragment = client.get("/branch-organisations/", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "Stuttgart Mitte (1)" in fragment


def test_create_with_htmx_logs_the_branches_by_name(client, admin, auth, branches, app):
    """A valid htmx create returns the editor with the boxes ticked, pushes the new URL,
    refreshes the list and logs the organisation with its branches' names."""
    response = client.post("/branch-organisations/new",
                           data=form_data(auth, [branches["LB"], branches["ES"]]), headers=HX)
    assert response.status_code == 200
    assert "organisations-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"].startswith("/branch-organisations/")
    assert de("Branch organisation created.") in response.get_data(as_text=True)
    body = response.get_data(as_text=True)  # the boxes in the order of the branches' names
    assert 'checked id="branch_ids-0"' in body and 'checked id="branch_ids-1"' in body
    assert 'checked id="branch_ids-2"' not in body
    assert organisation_rows(app) == [
        ("Region Neckar", "Filialen am Neckar", 1, ["Esslingen", "Ludwigsburg"])]
    ((action, label, changes),) = log_entries(app)
    assert (action, label) == ("create", "Region Neckar")
    assert {"field": "branch_ids", "old": None, "new": ["Esslingen", "Ludwigsburg"]} in changes


def test_create_plain_post_redirects(client, admin, auth, branches):
    """Without htmx a successful post redirects (post/redirect/get) to the editor's page."""
    response = client.post("/branch-organisations/new", data=form_data(auth, [branches["ST"]]))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<html" in page and "Region Neckar" in page


@pytest.mark.parametrize("overrides, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"name": "<script>alert(1)</script>"}, "name"),
    ({"description": "x" * 201}, "description"),
    ({"branch_ids": []}, "branch_ids"),
    ({"branch_ids": ["999999"]}, "branch_ids"),
    ({"branch_ids": ["abc"]}, "branch_ids"),
    ({"version": "abc"}, None),
], ids=["empty", "long", "markup", "long-description", "no-branch", "unknown-branch",
        "not-an-id", "damaged-version"])
def test_bad_input_is_422_beside_the_field(client, admin, auth, branches, app, overrides, field):
    """Empty, too long, markup, no branch or a branch that is no choice: 422 with the form
    and the message beside the field; nothing saved."""
    response = client.post("/branch-organisations/new",
                           data=form_data(auth, [branches["ES"]], **overrides), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="organisation-form"' in body and "<html" not in body
    assert f'id="{field}-error"' in body if field else 'class="form-errors"' in body
    assert "<script>alert" not in body
    assert organisation_rows(app) == []


def test_no_branch_is_explained_and_marks_the_boxes(client, admin, auth, branches):
    """The service's rule reads 'choose at least one branch' below the fieldset, and every
    box points at it (the first one gets the focus)."""
    response = client.post("/branch-organisations/new",
                           data=form_data(auth, [], name="Leer"), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="branch_ids-error">{de("Choose at least one branch.")}</p>' in body
    assert body.count('aria-describedby="branch_ids-error"') == 3
    assert body.count('aria-invalid="true"') == 3


def test_duplicate_name_is_refused_beside_the_field(client, admin, auth, branches,
                                                    make_organisation, app):
    """A second organisation of the same name (any case) gets the message at the name."""
    make_organisation("Region Neckar", [branches["ES"]])
    response = client.post("/branch-organisations/new",
                           data=form_data(auth, [branches["LB"]], name="region neckar"),
                           headers=HX)
    assert response.status_code == 422
    assert de_html("A branch organisation with this name already exists.") in response.data
    assert b'id="name-error"' in response.data
    assert len(organisation_rows(app)) == 1


@pytest.fixture
def competitor(app):
    """competitor(name): when the session is about to write next, another connection
    commits an organisation of that name first: a concurrent save that won the race after
    the service checked the name."""
    def arrange(name):
        def insert_first(*_args):
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO branch_organisations (name, description, created_at, "
                    "updated_at, version) VALUES (:name, '', :at, :at, 1)"),
                    {"name": name, "at": "2026-01-05 09:00:00"})
        event.listen(db.session(), "before_flush", insert_first, once=True)
    return arrange


@pytest.mark.parametrize("existing", (False, True), ids=("create", "rename"))
def test_a_name_taken_in_a_race_is_a_message_beside_the_field(app, branches, make_user,
                                                              make_organisation, competitor,
                                                              existing):
    """The database's unique name decides a race the service's check cannot see: the save
    is refused on the name field (422 in the editor), not a 500, and nothing half saved."""
    admin_id = make_user("admin", role="admin")
    organisation_id = make_organisation("Region Alt", [branches["ST"]]) if existing else None
    with app.app_context():
        actor = db.session.get(User, admin_id)
        data = {"name": "Region Neckar", "description": "", "branch_ids": [branches["ES"]]}
        competitor("Region Neckar")
        with pytest.raises(DomainError) as refused:
            if existing:
                services.update_organisation(
                    actor, db.session.get(BranchOrganisation, organisation_id), data, "1")
            else:
                services.create_organisation(actor, data)
        assert (refused.value.field, str(refused.value.message)) == (
            "name", de("A branch organisation with this name already exists."))
        assert isinstance(refused.value.__cause__, DomainError)  # the database's refusal
        assert db.session.scalar(db.select(func.count()).select_from(ChangeLogEntry)) == 0
    assert [row[0] for row in organisation_rows(app)] == (
        ["Region Alt", "Region Neckar"] if existing else ["Region Neckar"])


def test_edit_changes_the_branches_and_logs_them_in_words(client, admin, auth, branches,
                                                          make_organisation, app):
    """Ticking another box and unticking one saves (version 2); the history panel and the
    change log say which branches before and after, the log linking to the organisation."""
    organisation_id = make_organisation("Region Neckar", [branches["ES"], branches["ST"]])
    response = client.post(f"/branch-organisations/{organisation_id}",
                           data=form_data(auth, [branches["ES"], branches["LB"]], version="1"),
                           headers=HX)
    assert response.status_code == 200
    assert de("Saved.") in response.get_data(as_text=True)
    assert organisation_rows(app) == [
        ("Region Neckar", "Filialen am Neckar", 2, ["Esslingen", "Ludwigsburg"])]
    (*_, (action, _label, changes)) = log_entries(app)
    assert action == "update"
    assert {"field": "branch_ids", "old": ["Esslingen", "Stuttgart Mitte"],
            "new": ["Esslingen", "Ludwigsburg"]} in changes
    history = client.get(f"/branch-organisations/{organisation_id}").get_data(as_text=True)
    assert "Esslingen, Stuttgart Mitte" in history and "Esslingen, Ludwigsburg" in history
    log = client.get("/changelog/").get_data(as_text=True)
    assert de("Branch organisation") in log
    assert f'<a href="/branch-organisations/{organisation_id}">Region Neckar</a>' in log


def test_edit_without_change_writes_no_log(client, admin, auth, branches, make_organisation,
                                           app):
    """Saving the same values (boxes in another order) bumps nothing and logs nothing."""
    organisation_id = make_organisation("Region Neckar", [branches["ES"], branches["LB"]],
                                        "Filialen am Neckar")
    response = client.post(f"/branch-organisations/{organisation_id}",
                           data=form_data(auth, [branches["LB"], branches["ES"]], version="1"),
                           headers=HX)
    assert response.status_code == 200
    assert de("No changes.") in response.get_data(as_text=True)
    assert organisation_rows(app)[0][2] == 1 and log_entries(app) == []


def test_stale_version_is_refused_and_input_kept(client, admin, auth, branches,
                                                 make_organisation, app):
    """Saving over a newer change is 409 with who saved it; the typed input stays."""
    organisation_id = make_organisation("Region Neckar", [branches["ES"]])
    with app.app_context():
        organisation = db.session.get(BranchOrganisation, organisation_id)
        organisation.version, organisation.updated_by = 2, "Berta Beispiel"
        db.session.commit()
    response = client.post(f"/branch-organisations/{organisation_id}",
                           data=form_data(auth, [branches["LB"]], version="1",
                                          description="Meine Eingabe"), headers=HX)
    assert response.status_code == 409
    assert b"Berta Beispiel" in response.data and b'value="Meine Eingabe"' in response.data
    assert organisation_rows(app)[0][3] == ["Esslingen"]


def test_delete_asks_first_and_keeps_the_branches(client, admin, auth, branches,
                                                  make_organisation, app):
    """Without htmx a confirmation page asks; the delete removes the organisation and its
    memberships, not the branches, and is logged."""
    organisation_id = make_organisation("Region Neckar", [branches["ES"], branches["LB"]])
    confirm = client.get(f"/branch-organisations/{organisation_id}/delete")
    assert confirm.status_code == 200
    assert de("Delete %(kind)s “%(name)s”?", kind=de("branch organisation"),
              name="Region Neckar") in confirm.get_data(as_text=True)
    response = client.post(f"/branch-organisations/{organisation_id}/delete",
                           data={"csrf_token": auth.csrf_token()}, headers=HX)
    assert response.status_code == 200
    assert "organisations-changed" in response.headers["HX-Trigger"]
    assert organisation_rows(app) == []
    with app.app_context():
        assert db.session.scalar(db.select(func.count()).select_from(Branch)) == 3
        assert db.session.execute(db.select(branch_organisation_members)).all() == []
    assert [entry[:2] for entry in log_entries(app)] == [("delete", "Region Neckar")]


# --- who may do what -----------------------------------------------------------------------

@pytest.mark.parametrize("role", ("branch_manager", "staff"))
def test_managers_and_staff_read_but_every_write_is_403(client, auth, login_as, branches,
                                                        make_organisation, app, role):
    """Branch managers and staff read the list and an organisation (no Save, no Delete);
    the new form, the delete confirmation and every POST are 403 and change nothing."""
    organisation_id = make_organisation("Region Neckar", [branches["ES"]])
    login_as("maria", role, [branches["ES"]])
    assert client.get("/branch-organisations/").status_code == 200
    page = client.get(f"/branch-organisations/{organisation_id}").get_data(as_text=True)
    assert "Region Neckar" in page and "<fieldset disabled" in page
    assert de("Save") + "</button>" not in page and de("Delete") + "</a>" not in page
    assert client.get("/branch-organisations/new").status_code == 403
    assert client.get(f"/branch-organisations/{organisation_id}/delete").status_code == 403
    for url, data in (("/branch-organisations/new", form_data(auth, [branches["ES"]], name="X")),
                      (f"/branch-organisations/{organisation_id}",
                       form_data(auth, [branches["LB"]], version="1")),
                      (f"/branch-organisations/{organisation_id}/delete",
                       {"csrf_token": auth.csrf_token()})):
        assert client.post(url, data=data).status_code == 403, url
        assert client.post(url, data=data, headers=HX).status_code == 403, url
    assert organisation_rows(app) == [("Region Neckar", "", 1, ["Esslingen"])]
    assert log_entries(app) == []


def test_every_write_needs_the_csrf_token(client, admin, auth, branches, make_organisation,
                                          app):
    """A cross-site post of an administrator's browser changes nothing."""
    organisation_id = make_organisation("Region Neckar", [branches["ES"]])
    for url in ("/branch-organisations/new", f"/branch-organisations/{organisation_id}",
                f"/branch-organisations/{organisation_id}/delete"):
        data = form_data(auth, [branches["LB"]], name="Neu", version="1", csrf_token="")
        assert client.post(url, data=data).status_code in (400, 403), url
    assert organisation_rows(app) == [("Region Neckar", "", 1, ["Esslingen"])]


# --- the list's cost, the helpers the roll-out uses ------------------------------------------

def test_the_list_page_costs_the_same_for_many_organisations(client, admin, make_branch,
                                                             make_organisation, count_queries):
    """The page's queries do not grow with the organisations or their branches."""
    ids = [make_branch(f"Filiale {n:02d}", f"F{n:02d}") for n in range(12)]
    make_organisation("Region 1", ids[:2])

    def queries():
        with count_queries() as counter:
            assert client.get("/branch-organisations/").status_code == 200
        return counter.count
    few = queries()
    for n in range(2, 12):
        make_organisation(f"Region {n}", ids[:n])
    assert queries() == few


def test_service_helpers_for_the_roll_out(app, branches, make_organisation):
    """list_organisations() by name with the branches loaded; branch_ids_of_organisation()
    the members' ids by branch name, and a refusal for an organisation that does not exist."""
    neckar = make_organisation("Region Neckar", [branches["LB"], branches["ES"]])
    make_organisation("alle", [branches["ST"]])
    with app.app_context():
        assert [(o.name, len(o.branches)) for o in services.list_organisations()] == [
            ("alle", 1), ("Region Neckar", 2)]
        assert services.branch_ids_of_organisation(neckar) == [branches["ES"], branches["LB"]]
        with pytest.raises(DomainError) as missing:
            services.branch_ids_of_organisation(neckar + 100)
        assert missing.value.field == "organisation_id"


# --- a deleted branch ----------------------------------------------------------------------

def test_deleting_a_member_branch_is_not_blocked_and_is_logged(client, admin, auth, branches,
                                                               make_organisation, app):
    """A branch in organisations can still be deleted: it leaves each of them, each change
    logged under its organisation (version bumped); an organisation whose last branch it
    was stays, empty, and the list shows a dash."""
    neckar = make_organisation("Region Neckar", [branches["ES"], branches["LB"]])
    make_organisation("Nur Esslingen", [branches["ES"]])
    response = client.post(f"/branches/{branches['ES']}/delete",
                           data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    assert organisation_rows(app) == [("Nur Esslingen", "", 2, []),
                                      ("Region Neckar", "", 2, ["Ludwigsburg"])]
    assert sorted(log_entries(app), key=lambda entry: entry[1]) == [
        ("update", "Nur Esslingen", [{"field": "branch_ids", "old": ["Esslingen"], "new": []}]),
        ("update", "Region Neckar",
         [{"field": "branch_ids", "old": ["Esslingen", "Ludwigsburg"], "new": ["Ludwigsburg"]}]),
    ]
    with app.app_context():
        assert services.branch_ids_of_organisation(neckar) == [branches["LB"]]
    assert "<td>—</td>" in client.get("/branch-organisations/").get_data(as_text=True)


def test_the_database_drops_the_memberships_of_a_deleted_branch(app, branches,
                                                                make_organisation):
    """ON DELETE CASCADE: a branch deleted without the service leaves no membership behind."""
    make_organisation("Region Neckar", [branches["ES"], branches["LB"]])
    with app.app_context():
        db.session.execute(db.delete(Branch).where(Branch.id == branches["ES"]))
        db.session.commit()
    assert organisation_rows(app) == [("Region Neckar", "", 1, ["Ludwigsburg"])]


# --- the demo --------------------------------------------------------------------------------

def test_the_demo_has_region_neckar_once(app, runner):
    """seed-demo creates Region Neckar with Esslingen and Ludwigsburg; a second run keeps it."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rows = organisation_rows(app)
    assert rows == [("Region Neckar", "Filialen am Neckar", 1, ["Esslingen", "Ludwigsburg"])]
