"""Login sessions end for real: logout, idle time and the absolute lifetime end them on the
server, so a copied session cookie stops working."""
from datetime import timedelta

import pytest

from tests.factories import HX, AuthActions, make_config
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.users.models import LoginSession


@pytest.fixture
def app_config(tmp_path, request):
    """The usual configuration, with a test's own keys (parametrised indirectly)."""
    return make_config(tmp_path, **getattr(request, "param", {}))


def only_session(app, user_id):
    with app.app_context():
        (record,) = db.session.scalars(db.select(LoginSession)
                                       .where(LoginSession.user_id == user_id)).all()
        db.session.expunge(record)
        return record


def set_session_times(app, user_id, **times):
    """Move the user's sessions back in time: last_seen_at=…, created_at=… as ages."""
    with app.app_context():
        for record in db.session.scalars(db.select(LoginSession)
                                         .where(LoginSession.user_id == user_id)):
            for name, age in times.items():
                setattr(record, name, utcnow() - age)
        db.session.commit()


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_login_records_a_session_with_its_client(client, auth, make_user, app):
    """A login leaves a live session on the server, with address and browser; the cookie
    holds its token, the table only the token's hash."""
    user_id = make_user("berta")
    assert auth.login("berta").status_code == 303
    record = only_session(app, user_id)
    assert record.ended_at is None and record.address == "127.0.0.1"
    assert record.user_agent.startswith("Werkzeug/")
    with client.session_transaction() as session:
        token = session["_user_id"].split(":", 1)[1]
    assert len(token) >= 40 and token not in record.token_hash


def test_cookie_copied_before_logout_is_refused_after(client, auth, make_user, app):
    """After POST /logout a copy of the session cookie no longer opens any page: a redirect to
    the login for pages, 401 with HX-Redirect for htmx."""
    user_id = make_user("berta")
    auth.login("berta")
    thief = copy_of(app, client)
    assert thief.get("/account").status_code == 200
    assert auth.logout().status_code == 303
    gone = thief.get("/account")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    fragment = thief.get("/account", headers=HX)
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].startswith("/login")
    assert only_session(app, user_id).ended_at is not None


def test_idle_session_expires(client, auth, make_user, app):
    """A session unused for SESSION_IDLE_MINUTES is over; used just within, it goes on."""
    user_id = make_user("berta")
    auth.login("berta")
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    set_session_times(app, user_id, last_seen_at=idle - timedelta(minutes=1))
    assert client.get("/account").status_code == 200
    set_session_times(app, user_id, last_seen_at=idle + timedelta(minutes=1))
    gone = client.get("/account")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]


@pytest.mark.parametrize("app_config", [{"SESSION_IDLE_MINUTES": 5}], indirect=True)
def test_idle_time_is_configurable(client, auth, make_user, app):
    """SESSION_IDLE_MINUTES sets the idle time."""
    user_id = make_user("berta")
    auth.login("berta")
    set_session_times(app, user_id, last_seen_at=timedelta(minutes=6))
    assert client.get("/account").status_code == 302


def test_use_is_noted_at_most_once_a_minute(client, auth, make_user, app):
    """Requests keep a session alive without a database write each: last_seen_at moves when
    it is a minute old, not before."""
    user_id = make_user("berta")
    auth.login("berta")
    set_session_times(app, user_id, last_seen_at=timedelta(seconds=30))
    before = only_session(app, user_id).last_seen_at
    assert client.get("/account").status_code == 200
    assert only_session(app, user_id).last_seen_at == before
    set_session_times(app, user_id, last_seen_at=timedelta(minutes=2))
    assert client.get("/account").status_code == 200
    assert utcnow() - only_session(app, user_id).last_seen_at < timedelta(seconds=30)


def test_absolute_lifetime_still_applies(client, auth, make_user, app):
    """A session in constant use still ends PERMANENT_SESSION_LIFETIME after the login."""
    user_id = make_user("berta")
    auth.login("berta")
    lifetime = app.permanent_session_lifetime
    set_session_times(app, user_id, created_at=lifetime + timedelta(minutes=1),
                      last_seen_at=timedelta(0))
    assert client.get("/account").status_code == 302


def test_each_login_is_a_session_of_its_own(app, auth, make_user):
    """Logging out in one browser leaves the user's other browsers logged in."""
    make_user("berta")
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        assert AuthActions(browser).login("berta").status_code == 303
    AuthActions(first).logout()
    assert first.get("/account").status_code == 302
    assert second.get("/account").status_code == 200


def test_forged_ids_are_refused(client, make_user, app):
    """A session cookie naming a user without a live session's token, or an id out of
    range, is anonymous (and never a 500)."""
    user_id = make_user("berta")
    for forged in (f"{user_id}:None", f"{user_id}:", f"{2 ** 64}:x", "x:y", "7"):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/account").status_code == 302, forged
