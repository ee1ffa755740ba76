"""Chain settings: admins only, time zone validated, the secrets option defaults to off."""
from webapp.extensions import db
from webapp.org.models import Chain


def test_defaults(app):
    with app.app_context():
        chain = db.session.get(Chain, 1)
        assert chain.timezone == "Europe/Berlin"
        assert chain.admins_may_view_secrets is False


def test_admin_changes_settings(client, admin, auth, app):
    response = client.post("/chain", data={"name": "Hörwelt", "timezone": "Europe/Vienna",
                                           "admins_may_view_secrets": "y", "version": "1",
                                           "csrf_token": auth.csrf_token()},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    with app.app_context():
        chain = db.session.get(Chain, 1)
        assert (chain.name, chain.timezone, chain.admins_may_view_secrets) == ("Hörwelt", "Europe/Vienna", True)


def test_unknown_time_zone_and_empty_name_refused(client, admin, auth, app):
    response = client.post("/chain", data={"name": "", "timezone": "Mars/Olympus", "version": "1",
                                           "csrf_token": auth.csrf_token()})
    assert response.status_code == 422
    assert response.data.count(b'class="error"') == 2
    with app.app_context():
        assert db.session.get(Chain, 1).name == "Testkette"


def test_branch_manager_gets_403(client, auth, make_user, make_branch):
    make_user("maria", role="branch_manager", branch_ids=[make_branch("Ulm", "UL")])
    auth.login("maria")
    assert client.get("/chain").status_code == 200
    response = client.post("/chain", data={"name": "X", "timezone": "Europe/Berlin", "version": "1",
                                           "csrf_token": auth.csrf_token()})
    assert response.status_code == 403
