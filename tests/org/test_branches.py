"""Branches: list, create, edit, delete through htmx partials and plain page loads."""
from tests.factories import HX
from tests.translated import de_html
from webapp.changelog.models import ChangeLogEntry
from webapp.extensions import db
from webapp.org.models import Branch


def branch_data(auth, **overrides):
    data = {
        "name": "Esslingen", "short_code": "ES", "street": "Bahnhofstr. 1", "postal_code": "73728",
        "city": "Esslingen", "office_street": "Marktplatz 2", "office_postal_code": "73728",
        "office_city": "Esslingen", "office_email": "buero@example.org", "office_phone": "+49 711 123",
        "csrf_token": auth.csrf_token(),
    }
    data.update(overrides)
    return data


def count_branches(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Branch))


def test_list_page_and_htmx_search_fragment(client, admin, make_branch):
    """The full page has the layout; an htmx search returns only the matching rows."""
    make_branch("Stuttgart Mitte", "S1", city="Stuttgart")
    make_branch("Ludwigsburg", "LB", city="Ludwigsburg")
    page = client.get("/branches/")
    assert page.status_code == 200
    assert b"<html" in page.data and b"Ludwigsburg" in page.data
    assert "HX-Request" in page.headers.get("Vary", "")
    fragment = client.get("/branches/?q=stutt", headers=HX)
    assert fragment.status_code == 200
    assert b"<html" not in fragment.data
    assert b"Stuttgart Mitte" in fragment.data and b"Ludwigsburg" not in fragment.data


def test_create_branch_with_htmx(client, admin, auth, app):
    """A valid htmx create returns the editor, pushes the new URL and refreshes the list."""
    response = client.post("/branches/new", data=branch_data(auth), headers=HX)
    assert response.status_code == 200
    assert "branches-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"].startswith("/branches/")
    with app.app_context():
        branch = db.session.scalar(db.select(Branch).where(Branch.name == "Esslingen"))
        assert branch.office_email == "buero@example.org"
        assert db.session.scalar(db.select(ChangeLogEntry.action)) == "create"


def test_create_branch_plain_post_redirects(client, admin, auth):
    """Without htmx a successful post redirects (post/redirect/get)."""
    response = client.post("/branches/new", data=branch_data(auth))
    assert response.status_code == 303
    follow = client.get(response.headers["Location"])
    assert b"Esslingen" in follow.data


def test_bad_input_gets_field_messages_and_saves_nothing(client, admin, auth, app):
    """Empty, too long, malformed and script input: 422 with messages, nothing saved."""
    cases = [
        {"name": ""},
        {"name": "x" * 121},
        {"name": "<script>alert(1)</script>"},
        {"short_code": "a b"},
        {"office_email": "not-an-email"},
        {"postal_code": "<b>"},
        {"office_phone": "call me"},
    ]
    for overrides in cases:
        response = client.post("/branches/new", data=branch_data(auth, **overrides), headers=HX)
        assert response.status_code == 422, overrides
        assert b'class="error"' in response.data, overrides
        assert b"<script>alert" not in response.data
    assert count_branches(app) == 0


def test_duplicate_name_is_refused_beside_the_field(client, admin, auth, make_branch, app):
    """A second branch with the same name (any case) gets a message at the name field."""
    make_branch("Esslingen", "E1")
    response = client.post("/branches/new", data=branch_data(auth, name="esslingen"), headers=HX)
    assert response.status_code == 422
    assert de_html("A branch with this name already exists.") in response.data
    assert count_branches(app) == 1


def test_edit_without_change_writes_no_log(client, admin, auth, make_branch, app):
    """Saving unchanged values does not bump the version or write a change-log entry."""
    branch_id = make_branch("Esslingen", "ES", street="Bahnhofstr. 1", postal_code="73728",
                            city="Esslingen", office_street="Marktplatz 2",
                            office_postal_code="73728", office_city="Esslingen",
                            office_email="buero@example.org", office_phone="+49 711 123")
    response = client.post(f"/branches/{branch_id}", data=branch_data(auth, version="1"), headers=HX)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Branch, branch_id).version == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(ChangeLogEntry)) == 0


def test_stale_version_is_refused_and_input_kept(client, admin, auth, make_branch, app):
    """Saving over a newer change is refused with who/when, and the typed input stays."""
    branch_id = make_branch("Esslingen", "ES")
    with app.app_context():
        branch = db.session.get(Branch, branch_id)
        branch.version, branch.updated_by = 2, "Berta Beispiel"
        db.session.commit()
    response = client.post(f"/branches/{branch_id}",
                           data=branch_data(auth, version="1", city="Mein Ort"), headers=HX)
    assert response.status_code == 409
    assert b"Berta Beispiel" in response.data
    assert b'value="Mein Ort"' in response.data


def test_delete_refused_while_referenced(client, admin, auth, make_branch, make_workstation, app):
    """A branch with workstations cannot be deleted; the message names them."""
    branch_id = make_branch("Esslingen", "ES")
    make_workstation("ES-PC01", branch_id)
    response = client.post(f"/branches/{branch_id}/delete", data={"csrf_token": auth.csrf_token()},
                           headers=HX)
    assert response.status_code == 409
    assert b"ES-PC01" in response.data
    assert count_branches(app) == 1


def test_delete_unreferenced_branch(client, admin, auth, make_branch, app):
    branch_id = make_branch("Esslingen", "ES")
    response = client.post(f"/branches/{branch_id}/delete", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    assert count_branches(app) == 0


def test_staff_cannot_create_or_edit(client, auth, make_user, make_branch, app):
    """Staff read; every change is a 403 even as a direct POST."""
    branch_id = make_branch("Esslingen", "ES")
    make_user("sam", role="staff", branch_ids=[branch_id])
    auth.login("sam")
    assert client.get("/branches/").status_code == 200
    assert client.post("/branches/new", data=branch_data(auth, name="Neu", short_code="NE")).status_code == 403
    assert client.post(f"/branches/{branch_id}", data=branch_data(auth, version="1")).status_code == 403
    assert client.post(f"/branches/{branch_id}/delete", data={"csrf_token": auth.csrf_token()}).status_code == 403
    assert count_branches(app) == 1


def test_branch_manager_edits_only_own_branch(client, auth, make_user, make_branch, app):
    own = make_branch("Esslingen", "ES")
    other = make_branch("Ulm", "UL")
    make_user("maria", role="branch_manager", branch_ids=[own])
    auth.login("maria")
    ok = client.post(f"/branches/{own}", data=branch_data(auth, version="1", city="Esslingen a.N."))
    assert ok.status_code == 303
    refused = client.post(f"/branches/{other}",
                          data=branch_data(auth, name="Ulm", short_code="UL", version="1"))
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(Branch, other).city == ""


def test_search_treats_wildcards_literally(client, admin, make_branch):
    """'%' and '_' in the search box are characters, not LIKE wildcards."""
    make_branch("Stuttgart Mitte", "ST")
    make_branch("Filiale_100%", "F1")
    for q in ("%", "_1"):
        rows = client.get(f"/branches/?q={q.replace('%', '%25')}", headers=HX).data
        assert b"Filiale_100%" in rows and b"Stuttgart Mitte" not in rows, q
