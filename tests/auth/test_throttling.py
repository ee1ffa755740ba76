"""Throttling that cannot be turned against the owner: failures lock a username only at the
address they came from (plus a cap per address), and administrators see and lift locks."""
import pytest

from tests.factories import HX, PASSWORD, AuthActions, log_entries, make_config
from tests.translated import de_html
from webapp.extensions import db
from webapp.users.models import LoginSession

HOME, ATTACKER = "192.0.2.10", "198.51.100.66"
WRONG = "Falsch-123"
LOCKED = de_html("Too many failed attempts. Login is locked for a while; please try again later "
                 "or ask an administrator.")


@pytest.fixture
def app_config(tmp_path, request):
    """The usual configuration, with a test's own keys (parametrised indirectly)."""
    return make_config(tmp_path, **getattr(request, "param", {}))


def browser(app, address, **environ):
    """A test client whose requests come from `address`."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=address, **environ)
    return AuthActions(client)


def fail(actions, username, times=5):
    for _ in range(times):
        assert actions.login(username, WRONG).status_code == 422


def test_admin_logs_in_from_home_while_an_attacker_is_locked_out(app, make_user):
    """Five wrong passwords from the attacker's address lock the admin's username there only:
    the admin still logs in from their own address, the attacker not even with the password."""
    make_user("admin", role="admin")
    attacker = browser(app, ATTACKER)
    fail(attacker, "admin")
    refused = attacker.login("admin", PASSWORD)
    assert refused.status_code == 422 and LOCKED in refused.data
    owner = browser(app, HOME)
    assert owner.login("admin").status_code == 303
    assert owner.client.get("/users/").status_code == 200


def test_owners_own_login_clears_their_typos(app, make_user):
    """Failures followed by a login from the same address stop counting there."""
    make_user("berta")
    owner = browser(app, HOME)
    fail(owner, "berta", 4)
    assert owner.login("berta").status_code == 303
    owner.logout()
    fail(owner, "berta", 4)
    assert owner.login("berta").status_code == 303


@pytest.mark.parametrize("app_config", [{"LOGIN_MAX_FAILURES_PER_IP": 6}], indirect=True)
def test_an_address_guessing_many_usernames_is_locked(app, make_user):
    """Past LOGIN_MAX_FAILURES_PER_IP failures, whatever the usernames, the address is locked
    for every username; other addresses are not."""
    make_user("berta")
    attacker = browser(app, ATTACKER)
    for name in ("anna", "bernd", "carla", "dora", "emil", "fritz"):
        fail(attacker, name, 1)
    assert LOCKED in attacker.login("berta", PASSWORD).data
    assert browser(app, HOME).login("berta").status_code == 303


def test_forwarded_for_is_ignored_without_a_proxy(app, make_user):
    """X-Forwarded-For is not believed by default: a forged one does not dodge the lock."""
    make_user("berta")
    for number in range(5):
        forged = browser(app, ATTACKER, HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
        fail(forged, "berta", 1)
    forged = browser(app, ATTACKER, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert LOCKED in forged.login("berta", PASSWORD).data


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_X_FOR": 1}], indirect=True)
def test_behind_a_proxy_the_forwarded_address_counts(app, make_user):
    """With PROXY_FIX_X_FOR the proxy's X-Forwarded-For is the client: an attacker behind
    the same proxy does not lock the owner out, and the session records the real address."""
    user_id = make_user("berta")
    fail(browser(app, "127.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER), "berta")
    owner = browser(app, "127.0.0.1", HTTP_X_FORWARDED_FOR=HOME)
    assert owner.login("berta").status_code == 303
    with app.app_context():
        assert db.session.scalars(db.select(LoginSession.address)
                                  .where(LoginSession.user_id == user_id)).all() == [HOME]


# --- the administrators' view --------------------------------------------------------------

def lift(auth, username, address, headers=HX):
    return auth.client.post("/login-locks/lift", headers=headers, data={
        "username": username, "address": address, "csrf_token": auth.csrf_token()})


def test_admin_sees_and_lifts_a_lock(client, admin, auth, app, make_user):
    """The users screen links to the locks; lifting one lets the username log in from that
    address again at once, and the change log says who lifted what."""
    make_user("berta")
    attacker = browser(app, ATTACKER)
    fail(attacker, "berta")
    assert b'href="/login-locks"' in client.get("/users/").data
    page = client.get("/login-locks").get_data(as_text=True)
    assert "berta" in page and ATTACKER in page and "Sperre aufheben" in page
    response = lift(auth, "berta", ATTACKER)
    assert response.status_code == 200
    assert de_html("The lock of %(lock)s was lifted.", lock=f"berta @ {ATTACKER}") in response.data
    assert b"berta" not in response.data.split(b"</caption>", 1)[1]
    assert attacker.login("berta", PASSWORD).status_code == 303
    assert log_entries(app)[-1] == ("update", "login_lock",
                                    [{"field": "failures", "old": 5, "new": 0}])
    again = lift(auth, "berta", ATTACKER)
    assert again.status_code == 200 and de_html("This lock had already ended.") in again.data


@pytest.mark.parametrize("app_config", [{"LOGIN_MAX_FAILURES_PER_IP": 3}], indirect=True)
def test_admin_lifts_an_address_lock(client, admin, auth, app, make_user):
    """An address lock is listed without a username; lifting it (plain form post) frees the
    address for everybody."""
    make_user("berta")
    attacker = browser(app, ATTACKER)
    for name in ("anna", "bernd", "carla"):
        fail(attacker, name, 1)
    page = client.get("/login-locks").get_data(as_text=True)
    addresses = page.split(de_html("Addresses locked for every username").decode(), 1)[1]
    assert ATTACKER in addresses
    response = lift(auth, "", ATTACKER, headers={})
    assert response.status_code == 303 and response.headers["Location"] == "/login-locks"
    assert attacker.login("berta").status_code == 303


@pytest.mark.parametrize("role", ["staff", "branch_manager"])
def test_only_admins_see_and_lift_locks(client, auth, app, make_user, make_branch, role):
    """Others get a 403 for the list and the lift, see no link, and the lock stays."""
    make_user("berta")
    attacker = browser(app, ATTACKER)
    fail(attacker, "berta")
    make_user("maria", role=role, branch_ids=[make_branch("Ulm", "UL")])
    auth.login("maria")
    assert b'href="/login-locks"' not in client.get("/users/").data
    assert client.get("/login-locks").status_code == 403
    assert lift(auth, "berta", ATTACKER).status_code == 403
    assert LOCKED in attacker.login("berta", PASSWORD).data
