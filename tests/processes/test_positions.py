"""Ear-mould positions (Otoplastik-Positionen): add, edit and delete with messages beside
the fields; a position in an order that is not cancelled stays as the lab got it."""
import pytest

from tests.factories import HX
from webapp.changelog.models import ChangeLogEntry
from webapp.errors import InUse
from webapp.extensions import db
from webapp.processes import services
from webapp.processes.models import EarMouldPosition
from webapp.users.models import User


def position_data(auth, **overrides):
    values = {"side": "right", "style": "Halbconcha", "material": "Silikon weich", "venting": "0,8",
              "colour": "rosé", "notes": "Schwimmschutz", "impression_ref": "SCAN-77",
              "csrf_token": auth.csrf_token()}
    values.update(overrides)
    return values


def positions(app):
    with app.app_context():
        return [(p.side, p.style, p.venting, p.impression_ref, p.version)
                for p in db.session.scalars(db.select(EarMouldPosition).order_by(EarMouldPosition.id))]


def first_position(app, process_id):
    with app.app_context():
        return db.session.scalar(db.select(EarMouldPosition.id).where(
            EarMouldPosition.process_id == process_id).order_by(EarMouldPosition.id))


def test_add_position_with_decimal_comma(client, admin, auth, setting, app):
    """'0,8' is 0.8 mm; htmx gets the whole section back in place of the form and the page
    hears positions-changed."""
    process = setting["process"]
    form = client.get(f"/processes/{process}/positions/new", headers=HX)
    assert form.status_code == 200 and b'id="position-form"' in form.data and b"<html" not in form.data
    response = client.post(f"/processes/{process}/positions/new", headers=HX, data=position_data(auth))
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#positions"
    assert "positions-changed" in response.headers["HX-Trigger"]
    assert b"Position added." in response.data and b"SCAN-77" in response.data
    assert positions(app)[-1] == ("right", "Halbconcha", 0.8, "SCAN-77", 1)
    with app.app_context():
        entry = db.session.scalar(db.select(ChangeLogEntry))
        assert (entry.entity_type, entry.action, entry.entity_label, entry.branch_name) == (
            "ear_mould_position", "create", "Otoplastik: Right", "Stuttgart Mitte")


def test_venting_is_optional_and_accepts_a_point(client, admin, auth, setting, app):
    """An empty venting is None; '2.5' works as well as '2,5'."""
    process = setting["process"]
    client.post(f"/processes/{process}/positions/new", headers=HX, data=position_data(auth, venting=""))
    client.post(f"/processes/{process}/positions/new", headers=HX, data=position_data(auth, venting="2.5"))
    assert [venting for _s, _st, venting, _i, _v in positions(app)[-2:]] == [None, 2.5]


@pytest.mark.parametrize("overrides, field", [
    ({"venting": "4,5"}, "venting"),
    ({"venting": "-1"}, "venting"),
    ({"venting": "abc"}, "venting"),
    ({"venting": "nan"}, "venting"),
    ({"style": ""}, "style"),
    ({"material": ""}, "material"),
    ({"impression_ref": ""}, "impression_ref"),
    ({"side": "middle"}, "side"),
    ({"notes": "<script>alert(1)</script>"}, "notes"),
    ({"colour": "x" * 41}, "colour"),
])
def test_bad_position_input_gets_messages(client, admin, auth, setting, app, overrides, field):
    """Invalid input: 422 with the form and one message beside the field, nothing saved."""
    response = client.post(f"/processes/{setting['process']}/positions/new", headers=HX,
                           data=position_data(auth, **overrides))
    assert response.status_code == 422
    assert b'id="position-form"' in response.data and b"<html" not in response.data
    assert response.data.count(f'id="{field}-error"'.encode()) == 1
    assert b"<script>alert" not in response.data
    assert len(positions(app)) == 1


def test_invalid_venting_keeps_what_was_typed(client, admin, auth, setting):
    """The refused form shows the typed value, not a blank, with one fitting message."""
    response = client.post(f"/processes/{setting['process']}/positions/new", headers=HX,
                           data=position_data(auth, venting="4,5"))
    assert b'value="4,5"' in response.data and b"Between 0 and 4 mm." in response.data
    word = client.post(f"/processes/{setting['process']}/positions/new", headers=HX,
                       data=position_data(auth, venting="viel"))
    assert b'value="viel"' in word.data and b"Enter a number, e.g. 1,5." in word.data
    assert b"Between 0 and 4 mm." not in word.data


def test_edit_position(client, admin, auth, setting, app):
    """A change is saved with a new version; the editor shows the venting as typed in German
    or English; a stale version is refused."""
    process, position = setting["process"], first_position(app, setting["process"])
    editor = client.get(f"/processes/{process}/positions/{position}", headers=HX)
    assert b'value="1.5"' in editor.data and b'value="ABD-1"' in editor.data
    saved = client.post(f"/processes/{process}/positions/{position}", headers=HX,
                        data=position_data(auth, version="1", side="left"))
    assert saved.status_code == 200 and b"Saved." in saved.data
    assert positions(app)[0] == ("left", "Halbconcha", 0.8, "SCAN-77", 2)
    stale = client.post(f"/processes/{process}/positions/{position}", headers=HX,
                        data=position_data(auth, version="1", style="Kralle"))
    assert stale.status_code == 409 and b'value="Kralle"' in stale.data


def test_delete_position(client, admin, auth, setting, app):
    """A delete sends the section again without the position and logs it."""
    process, position = setting["process"], first_position(app, setting["process"])
    confirm = client.get(f"/processes/{process}/positions/{position}/delete")
    assert confirm.status_code == 200
    response = client.post(f"/processes/{process}/positions/{position}/delete", headers=HX,
                           data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 200 and b"Position deleted." in response.data
    assert positions(app) == []
    with app.app_context():
        assert db.session.scalar(db.select(ChangeLogEntry.action)) == "delete"


@pytest.mark.parametrize("status, locked", [("ordered", True), ("error", True), ("created", True),
                                            ("cancelled", False)])
def test_ordered_position_cannot_change(client, admin, auth, setting, make_order, app, status, locked):
    """An order that is not cancelled locks its position: no edit, no delete, a clear
    message, no buttons; after a cancellation the position is free again."""
    process, position = setting["process"], first_position(app, setting["process"])
    make_order(process, position, status=status)
    page = client.get(f"/processes/{process}").data
    assert (b">ordered<" in page) is locked
    assert (f"/positions/{position}\"".encode() in page) is not locked
    edit = client.post(f"/processes/{process}/positions/{position}", headers=HX,
                       data=position_data(auth, version="1"))
    delete = client.post(f"/processes/{process}/positions/{position}/delete", headers=HX,
                         data={"csrf_token": auth.csrf_token()})
    if locked:
        assert edit.status_code == 422 and b"B-2026-000001" in edit.data
        assert b"can no longer be changed or deleted" in edit.data
        assert delete.status_code == 409 and b"B-2026-000001" in delete.data
        assert positions(app)[0][1] == "Concha"
    else:
        assert edit.status_code == 200 and delete.status_code == 200
        assert positions(app) == []


def test_service_refuses_ordered_positions(app, make_user, setting, make_order):
    """The rule holds in the service, whatever the screens do."""
    process, position_id = setting["process"], first_position(app, setting["process"])
    make_order(process, position_id)
    user_id = make_user("sam", role="staff", branch_ids=[setting["own"]])
    with app.app_context():
        sam = db.session.get(User, user_id)
        position = db.session.get(EarMouldPosition, position_id)
        with pytest.raises(InUse):
            services.delete_position(sam, position)
        with pytest.raises(InUse):
            services.update_position(sam, position, dict(
                side="left", style="X", material="Y", venting=None, colour="", notes="",
                impression_ref="Z"), 1)


def test_ordered_ids_query_is_one_for_the_process(app, setting, make_order, make_process, count_queries):
    """The lock badges of a whole process come from one query."""
    process, position = setting["process"], first_position(app, setting["process"])
    make_order(process, position)
    with app.app_context():
        from webapp.processes.models import Process

        loaded = db.session.get(Process, process)
        with count_queries() as counter:
            ids = services.ordered_position_ids(loaded)
    assert ids == {position} and counter.count == 1


def test_plain_post_redirects_to_the_positions(client, admin, auth, setting):
    """Without htmx a saved position leads back to the process page, at the positions."""
    response = client.post(f"/processes/{setting['process']}/positions/new", data=position_data(auth))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/processes/{setting['process']}#positions"
    page = client.get(f"/processes/{setting['process']}/positions/new")
    assert b"<html" in page.data and b'id="position-form"' in page.data


def test_staff_of_the_branch_edit_positions(client, login_as, auth, setting, app):
    """The branch's staff work on the process's positions."""
    login_as("sam", "staff", [setting["own"]])
    response = client.post(f"/processes/{setting['process']}/positions/new", headers=HX,
                           data=position_data(auth))
    assert response.status_code == 200 and len(positions(app)) == 2


def test_staff_of_another_branch_get_403(client, login_as, auth, setting, app):
    """Positions of another branch's process cannot be added, changed or deleted."""
    login_as("sam", "staff", [setting["other"]])
    process, position = setting["process"], first_position(app, setting["process"])
    for url, data in ((f"/processes/{process}/positions/new", position_data(auth)),
                      (f"/processes/{process}/positions/{position}", position_data(auth, version="1")),
                      (f"/processes/{process}/positions/{position}/delete", {"csrf_token": auth.csrf_token()})):
        assert client.post(url, data=data, headers=HX).status_code == 403, url
    assert client.get(f"/processes/{process}/positions/{position}/delete").status_code == 403
    assert len(positions(app)) == 1
