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


def test_the_login_reads_the_chains_settings_for_the_page(client, admin, count_queries):
    """A page reads the chain's settings with the login, not by a statement of its own."""
    client.get("/customers/")
    with count_queries() as counter:
        assert client.get("/customers/").status_code == 200
    assert not [s for s in counter.statements if "FROM chain" in s]
    assert any("JOIN chain" in s for s in counter.statements)


def test_noted_settings_hold_for_their_transaction(app):
    """What a statement noted of the chain answers until its transaction ends; the next one
    reads the chain anew (a test's requests may share a session)."""
    from webapp.org import services

    with app.app_context():
        services.note_chain_settings([None] * len(services.CHAIN_SETTINGS))
        assert services.chain_settings() is None  # as noted: no chain row
        db.session.commit()
        assert services.chain_settings().timezone == "Europe/Berlin"  # read anew
        assert services.chain_settings().name == "Testkette"
