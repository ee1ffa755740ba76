"""Who may change services through the screens: staff read only (no buttons, and 403 on every
POST), branch managers their branches' and their workstations' services (403 elsewhere),
admins everything; every POST needs a login and the CSRF token."""
import pytest

from tests.factories import HX, SMTP_RAW, dreve_form, make_config
from tests.translated import de
from webapp.extensions import db
from webapp.interfaces.models import InterfaceService
from webapp.org.models import Chain

SAVE = f'<button type="submit" class="primary">{de("Save")}</button>'


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path)


@pytest.fixture
def setup(world, make_service, app):
    """A chain SMTP, one per branch, a Dreve service per branch, a till service in each branch;
    revealing secrets allowed, so only the role decides."""
    with app.app_context():
        db.session.get(Chain, 1).admins_may_view_secrets = True
        db.session.commit()
    made = dict(
        chain=make_service("smtp", {**SMTP_RAW, "password": "pw"}, name="Kette SMTP"),
        st=make_service("smtp", {**SMTP_RAW, "password": "pw"}, name="ST SMTP",
                        branch_id=world.st.id),
        ul=make_service("smtp", {**SMTP_RAW, "password": "pw"}, name="UL SMTP",
                        branch_id=world.ul.id),
        st_till=make_service("smtp", {"port": "25", "password": "pw"}, name="ST Kasse",
                             workstation_id=world.st_till.id),
        ul_till=make_service("smtp", {"port": "25", "password": "pw"}, name="UL Kasse",
                             workstation_id=world.ul_till.id),
    )
    return {key: service.id for key, service in made.items()}


def post_routes(world, setup):
    """(url, form) of every state-changing route, for each kind of service."""
    routes = [("/interfaces/new/dreve_smartorder", "create"),
              (f"/workstations/{world.st_till.id}/interfaces/new/smtp", "create-station")]
    for key in ("chain", "st", "ul"):
        service_id = setup[key]
        routes += [(f"/interfaces/{service_id}", "save"),
                   (f"/interfaces/{service_id}/copy", "copy"),
                   (f"/interfaces/{service_id}/delete", "delete"),
                   (f"/interfaces/{service_id}/secrets/password/reveal", "reveal")]
    station = world.st_till.id
    routes += [(f"/workstations/{station}/interfaces/{setup['st_till']}", "save"),
               (f"/workstations/{station}/interfaces/{setup['st_till']}/delete", "delete")]
    return routes


def form_for(kind, world, token):
    if kind == "create":
        return dreve_form(world, token)
    if kind in ("save", "create-station"):
        return {"csrf_token": token, "name": "Neu", "usage_server": "y", "enabled": "y",
                **SMTP_RAW}
    if kind == "copy":
        return {"csrf_token": token, "name": "Kopie", "branch_id": str(world.st.id)}
    return {"csrf_token": token}


def test_staff_get_403_on_every_post_route_and_see_no_buttons(client, auth, csrf, world, setup):
    """Staff read their branches' and the chain's services, change nothing: no
    Neu/Speichern/Kopieren/Löschen, and the server refuses each POST with 403 (404 for another
    branch's records, which they do not read); nothing changes."""
    auth.login(world.staff)
    page = client.get("/interfaces/").get_data(as_text=True)
    assert 'href="/interfaces/new"' not in page
    editor = client.get(f"/interfaces/{setup['st']}", headers=HX).get_data(as_text=True)
    assert SAVE not in editor and "/copy" not in editor and "/delete" not in editor
    assert '<fieldset class="common" disabled>' in editor
    assert "/reveal" not in editor
    station = client.get(f"/workstations/{world.st_till.id}/interfaces").get_data(as_text=True)
    assert f'href="/workstations/{world.st_till.id}/interfaces/new"' not in station
    token = csrf()
    before = db.session.scalar(db.select(db.func.count(InterfaceService.id)))
    for url, kind in post_routes(world, setup):
        for headers in ({}, HX):
            response = client.post(url, data=form_for(kind, world, token), headers=headers)
            assert response.status_code in (403, 404), (url, headers)
    assert db.session.scalar(db.select(db.func.count(InterfaceService.id))) == before
    db.session.expire_all()
    assert db.session.get(InterfaceService, setup["st"]).name == "ST SMTP"


def test_branch_manager_changes_own_branch_only(client, auth, csrf, world, setup):
    """Maria (Stuttgart) saves Stuttgart's service; the chain's is read-only for her and every
    POST on it is 403; Ulm's she does not even read (404, docs/permissions.md)."""
    auth.login(world.manager)
    token = csrf()
    own = client.post(f"/interfaces/{setup['st']}",
                      data={**form_for("save", world, token), "branch_id": str(world.st.id),
                            "name": "ST SMTP neu", "version": "1"}, headers=HX)
    assert own.status_code == 200
    assert client.get(f"/interfaces/{setup['ul']}", headers=HX).status_code == 404
    for key, refused in (("ul", 404), ("chain", 403)):
        editor = client.get(f"/interfaces/{setup[key]}", headers=HX).get_data(as_text=True)
        assert SAVE not in editor and "/delete" not in editor
        for suffix, kind in (("", "save"), ("/delete", "delete"),
                             ("/secrets/password/reveal", "reveal")):
            response = client.post(f"/interfaces/{setup[key]}{suffix}",
                                   data=form_for(kind, world, token), headers=HX)
            assert response.status_code == refused, (key, suffix)
    # Copying Ulm's service into Ulm is refused; into her own branch it is fine.
    into_ulm = client.post(f"/interfaces/{setup['ul']}/copy",
                           data={"csrf_token": token, "name": "Kopie",
                                 "branch_id": str(world.ul.id)}, headers=HX)
    assert into_ulm.status_code == 404  # she does not read Ulm's service
    assert not db.session.scalar(db.select(InterfaceService).where(InterfaceService.name == "Kopie"))


def test_branch_manager_cannot_create_chain_wide(client, auth, csrf, world):
    """The Filiale select offers only her branches; a chain-wide service posted anyway is
    refused (403), one for her branch is created — unless it needs an address, which only
    admins set (422 beside the field)."""
    auth.login(world.manager)
    form = client.get("/interfaces/new/dreve_smartorder", headers=HX).get_data(as_text=True)
    branch_select = form.split('id="branch_id"')[1].split("</select>")[0]
    assert f'<option value="{world.st.id}">Stuttgart</option>' in branch_select
    assert f'value="{world.ul.id}"' not in branch_select and 'value=""' not in branch_select
    token = csrf()
    chain_wide = client.post("/interfaces/new/dreve_smartorder",
                             data=dreve_form(world, token, branch_id=""), headers=HX)
    assert chain_wide.status_code == 403
    with_address = client.post("/interfaces/new/dreve_smartorder",
                               data=dreve_form(world, token), headers=HX)
    assert with_address.status_code == 422
    assert de("Only administrators can change this field.") in with_address.get_data(as_text=True)
    own = client.post("/interfaces/new/email_order", headers=HX, data={
        "csrf_token": token, "name": "Bestellung per E-Mail", "branch_id": str(world.st.id),
        "usage_server": "y", "enabled": "y", "subject": "Bestellung",
        "order_template": "Standard"})
    assert own.status_code == 200


def test_branch_manager_and_workstations(client, auth, csrf, world, setup):
    """Her branch's till: editable, create allowed. Ulm's till: read-only, POSTs 403."""
    auth.login(world.manager)
    token = csrf()
    own = client.get(f"/workstations/{world.st_till.id}/interfaces/{setup['st_till']}",
                     headers=HX).get_data(as_text=True)
    assert SAVE in own
    created = client.post(f"/workstations/{world.st_till.id}/interfaces/new/webhook_notification",
                          data={"csrf_token": token, "name": "Hook", "usage_server": "y",
                                "enabled": "y", "webhook_url": "https://hook.example.org"},
                          headers=HX)
    assert created.status_code in (200, 422)  # allowed through the permission check
    assert created.status_code != 403

    other = f"/workstations/{world.ul_till.id}/interfaces"
    page = client.get(other).get_data(as_text=True)
    assert f'href="{other}/new"' not in page
    editor = client.get(f"{other}/{setup['ul_till']}", headers=HX).get_data(as_text=True)
    assert SAVE not in editor
    for url, kind in ((f"{other}/new/smtp", "create-station"),
                      (f"{other}/{setup['ul_till']}", "save"),
                      (f"{other}/{setup['ul_till']}/delete", "delete")):
        # Another branch's workstation: not even read (404).
        assert client.post(url, data=form_for(kind, world, token), headers=HX).status_code == 404


def test_posts_need_the_csrf_token_and_a_login(client, auth, world, setup):
    """Without the token every POST is refused; without a login the pages redirect."""
    assert client.get("/interfaces/").status_code == 302
    auth.login(world.admin)
    response = client.post(f"/interfaces/{setup['st']}", data={"name": "X"}, headers=HX)
    assert response.status_code == 403 and response.headers["HX-Refresh"] == "true"
    assert client.post("/interfaces/new/smtp", data={"name": "X"}).status_code == 403
