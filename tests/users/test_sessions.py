"""Ending sessions from the user screens: a new password ends the user's other sessions, an
administrator's "Alle Sitzungen beenden" ends all of them, and each user sees their own."""
import pytest

from tests.factories import (
    HX, PASSWORD, AuthActions, live_sessions_of, log_entries, logged_in_client,
)
from tests.translated import de, de_html
from webapp.extensions import db
from webapp.users.models import LoginSession

NEW_PASSWORD = "Neu-Passwort-77"


@pytest.fixture
def branch(make_branch):
    return make_branch("Esslingen", "ES")


def ended_flags(app, user_id):
    """Per session of the user, oldest first: whether it has ended on the server."""
    with app.app_context():
        return [record.ended_at is not None for record in db.session.scalars(
            db.select(LoginSession).where(LoginSession.user_id == user_id)
            .order_by(LoginSession.id))]


def end_sessions(client, auth, user_id, headers=HX):
    return client.post(f"/users/{user_id}/sessions/end", headers=headers,
                       data={"csrf_token": auth.csrf_token()})


def test_password_change_ends_the_other_sessions(client, auth, app, make_user, branch):
    """A new password ends the user's other sessions on the server; the one it was changed
    in stays live."""
    user_id = make_user("berta", branch_ids=[branch])
    auth.login("berta")
    other = logged_in_client(app, "berta")
    response = client.post("/account/password", headers=HX, data={
        "current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD,
        "csrf_token": auth.csrf_token()})
    assert response.status_code == 200
    assert ended_flags(app, user_id) == [False, True]
    gone = other.get("/account")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert client.get("/account").status_code == 200


def test_admin_ends_all_sessions_of_a_user(client, admin, auth, app, make_user, branch):
    """"Alle Sitzungen beenden" logs the user out in every browser, says how many sessions
    ended and puts it in the change log; the admin stays logged in."""
    user_id = make_user("berta", branch_ids=[branch])
    browsers = [logged_in_client(app, "berta") for _ in range(2)]
    editor = client.get(f"/users/{user_id}", headers=HX).get_data(as_text=True)
    assert de("End all sessions") == "Alle Sitzungen beenden" and "Alle Sitzungen beenden" in editor
    assert editor.count("<time datetime=") >= 4  # two sessions: logged in and last active
    response = end_sessions(client, auth, user_id)
    assert response.status_code == 200
    assert de_html("Sessions ended: %(num)s.", num=2) == b"Beendete Sitzungen: 2."
    assert b"Beendete Sitzungen: 2." in response.data
    for browser in browsers:
        gone = browser.get("/account")
        assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert live_sessions_of(app, user_id) == 0
    assert log_entries(app)[-1] == ("update", "user", [{"field": "sessions", "old": 2, "new": 0}])
    assert client.get("/users/").status_code == 200
    again = end_sessions(client, auth, user_id)
    assert again.status_code == 200 and de_html("No active sessions.") in again.data
    assert len(log_entries(app)) == 1


def test_ending_sessions_without_htmx_redirects(client, admin, auth, app, make_user, branch):
    """A plain form post ends the sessions and comes back to the user's page."""
    user_id = make_user("berta", branch_ids=[branch])
    logged_in_client(app, "berta")
    response = end_sessions(client, auth, user_id, headers={})
    assert response.status_code == 303 and response.headers["Location"] == f"/users/{user_id}"
    assert live_sessions_of(app, user_id) == 0


def test_admin_ending_own_sessions_keeps_this_one(client, admin, auth, app):
    """On their own account an admin ends every other session, not the one they act in."""
    other = logged_in_client(app, "admin")
    assert end_sessions(client, auth, admin).status_code == 200
    assert other.get("/account").status_code == 302
    assert client.get("/users/").status_code == 200
    assert live_sessions_of(app, admin) == 1


@pytest.mark.parametrize("role", ["staff", "branch_manager"])
def test_only_admins_end_sessions(client, auth, app, make_user, branch, role):
    """Others get a 403 and see no button; the sessions stay."""
    user_id = make_user("berta", branch_ids=[branch])
    logged_in_client(app, "berta")
    make_user("maria", role=role, branch_ids=[branch])
    auth.login("maria")
    assert "Alle Sitzungen beenden" not in client.get(f"/users/{user_id}").get_data(as_text=True)
    assert end_sessions(client, auth, user_id).status_code == 403
    assert live_sessions_of(app, user_id) == 1


def test_ending_sessions_needs_the_csrf_token(client, admin, app, make_user, branch):
    """A cross-site post cannot log a user out."""
    user_id = make_user("berta", branch_ids=[branch])
    logged_in_client(app, "berta")
    response = client.post(f"/users/{user_id}/sessions/end", headers=HX)
    assert response.status_code in (400, 403)
    assert live_sessions_of(app, user_id) == 1


def test_account_lists_own_live_sessions(client, auth, app, make_user, branch):
    """Mein Konto shows the user's live sessions, this one marked; ended ones are gone."""
    make_user("berta", branch_ids=[branch])
    auth.login("berta")
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    AuthActions(other).login("berta")
    page = client.get("/account").get_data(as_text=True)
    assert "192.0.2.44" in page and "127.0.0.1" in page and de("This session") in page
    AuthActions(other).logout()
    assert "192.0.2.44" not in client.get("/account").get_data(as_text=True)
