"""Workstations: CRUD through htmx and plain posts, validation, branch permissions."""
from tests.factories import HX
from webapp.extensions import db
from webapp.org.models import Workstation


def data(auth, branch, **overrides):
    values = {"name": "ST-EMPFANG", "description": "Empfang", "branch_id": str(branch),
              "csrf_token": auth.csrf_token()}
    values.update(overrides)
    return values


def count(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Workstation))


def test_create_and_filter_by_branch(client, admin, auth, make_branch, app):
    """A new workstation appears in its branch's filtered list, not in another's."""
    st = make_branch("Stuttgart", "ST")
    es = make_branch("Esslingen", "ES")
    response = client.post("/workstations/new", data=data(auth, st), headers=HX)
    assert response.status_code == 200
    assert "workstations-changed" in response.headers["HX-Trigger"]
    assert b"ST-EMPFANG" in client.get(f"/workstations/?branch={st}", headers=HX).data
    assert b"ST-EMPFANG" not in client.get(f"/workstations/?branch={es}", headers=HX).data


def test_bad_input_is_refused_beside_the_field(client, admin, auth, make_branch, app):
    """Host-name rules, unknown or non-numeric branch, markup: 422 and nothing saved."""
    st = make_branch("Stuttgart", "ST")
    for overrides in [{"name": ""}, {"name": "pc 1"}, {"name": "x" * 64},
                      {"branch_id": "abc"}, {"branch_id": "999"}, {"description": "<img src=x>"}]:
        response = client.post("/workstations/new", data=data(auth, st, **overrides), headers=HX)
        assert response.status_code == 422, overrides
        assert b'class="error"' in response.data, overrides
    assert count(app) == 0


def test_duplicate_host_name_refused(client, admin, auth, make_branch, make_workstation, app):
    st = make_branch("Stuttgart", "ST")
    make_workstation("ST-EMPFANG", st)
    response = client.post("/workstations/new", data=data(auth, st, name="st-empfang"), headers=HX)
    assert response.status_code == 422
    assert count(app) == 1


def test_branch_manager_manages_only_own_branch(client, auth, make_user, make_branch,
                                                make_workstation, app):
    """A branch manager creates workstations in their branch, never in another one, and
    cannot move one of theirs into a foreign branch."""
    own = make_branch("Stuttgart", "ST")
    other = make_branch("Ulm", "UL")
    station = make_workstation("ST-KASSE", own)
    foreign = make_workstation("UL-KASSE", other)
    make_user("maria", role="branch_manager", branch_ids=[own])
    auth.login("maria")
    assert client.post("/workstations/new", data=data(auth, own)).status_code == 303
    # Foreign branches are not offered in the form, so a crafted post fails validation.
    assert client.post("/workstations/new", data=data(auth, other, name="UL-NEU")).status_code == 422
    moved = client.post(f"/workstations/{station}", data=data(auth, other, name="ST-KASSE", version="1"))
    assert moved.status_code == 422
    # Another branch's workstation is not even read (404, docs/permissions.md).
    assert client.post(f"/workstations/{foreign}/delete",
                       data={"csrf_token": auth.csrf_token()}).status_code == 404
    with app.app_context():
        assert db.session.get(Workstation, station).branch_id == own
    assert count(app) == 3


def test_staff_reads_but_cannot_change(client, auth, make_user, make_branch, make_workstation, app):
    st = make_branch("Stuttgart", "ST")
    station = make_workstation("ST-KASSE", st)
    make_user("sam", branch_ids=[st])
    auth.login("sam")
    page = client.get(f"/workstations/{station}")
    assert page.status_code == 200
    assert b"<fieldset disabled>" in page.data
    assert client.post(f"/workstations/{station}", data=data(auth, st, version="1")).status_code == 403
    assert client.post(f"/workstations/{station}/delete",
                       data={"csrf_token": auth.csrf_token()}).status_code == 403


def test_delete_with_htmx_refreshes_list(client, admin, auth, make_branch, make_workstation, app):
    st = make_branch("Stuttgart", "ST")
    station = make_workstation("ST-KASSE", st)
    response = client.post(f"/workstations/{station}/delete", data={"csrf_token": auth.csrf_token()},
                           headers=HX)
    assert response.status_code == 200
    assert "workstations-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"] == "/workstations/"
    assert count(app) == 0


def test_list_query_count_does_not_grow_with_rows(client, admin, make_branch, make_workstation,
                                                  count_queries):
    """The list page issues the same number of SQL statements for 2 and for 20 rows."""
    st = make_branch("Stuttgart", "ST")
    es = make_branch("Esslingen", "ES")
    make_workstation("PC-0", st)
    make_workstation("PC-1", es)
    with count_queries() as few:
        assert client.get("/workstations/").status_code == 200
    for i in range(2, 20):
        make_workstation(f"PC-{i}", st if i % 2 else es)
    with count_queries() as many:
        assert client.get("/workstations/").status_code == 200
    assert many.count == few.count


def test_service_refuses_foreign_branch_even_without_the_form(app, make_user, make_branch):
    """The rule lives in the service: no form, no view, still refused."""
    import pytest

    from webapp.errors import PermissionDenied
    from webapp.org import services
    from webapp.users.models import User

    own = make_branch("Stuttgart", "ST")
    other = make_branch("Ulm", "UL")
    user_id = make_user("maria", role="branch_manager", branch_ids=[own])
    with app.app_context():
        maria = db.session.get(User, user_id)
        with pytest.raises(PermissionDenied):
            services.create_workstation(maria, {"name": "UL-X", "description": "", "branch_id": other})
