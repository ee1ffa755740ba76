"""Mein Konto: every user's own language, notifications and password."""
import json

import pytest

from tests.factories import (
    HX, PASSWORD, AuthActions, get_user, live_sessions_of, log_entries, logged_in_client,
)
from tests.translated import de, de_html
from webapp.extensions import db
from webapp.users.models import User

NEW_PASSWORD = "Neu-Passwort-77"


@pytest.fixture
def staff(make_user, make_branch, auth):
    """A staff member, logged in on `client`."""
    branch_id = make_branch("Esslingen", "ES")
    user_id = make_user("sam", role="staff", branch_ids=[branch_id], name="Sam Staff",
                        email="sam@example.org")
    auth.login("sam")
    return user_id


def preferences(auth, **overrides):
    data = {"preferred_language": "de", "notify_order_errors": "y", "notify_chat_messages": "y",
            "csrf_token": auth.csrf_token()}
    data.update(overrides)
    return data


def password_change(auth, **overrides):
    data = {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD,
            "csrf_token": auth.csrf_token()}
    data.update(overrides)
    return data


def test_account_page_shows_own_data_and_both_forms(client, staff):
    """Every user reaches their account page with their data, preferences and password form."""
    response = client.get("/account")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "sam@example.org" in text and "Esslingen" in text
    assert 'name="notify_order_delivered"' in text and 'name="current"' in text
    assert "<fieldset disabled" not in text


def test_preferences_saved_with_htmx(client, staff, auth, app):
    """An htmx save returns the preferences form with a notice and stores the choices."""
    response = client.post("/account", headers=HX, data=preferences(
        auth, notify_order_errors="", notify_order_delivered="y", notify_interface_failures="y"))
    assert response.status_code == 200
    assert b"<html" not in response.data and b'class="notice"' in response.data
    user = get_user(app, staff)
    assert (user.notify_order_errors, user.notify_order_delivered, user.notify_chat_messages,
            user.notify_interface_failures) == (False, True, True, True)
    [(action, entity, changes)] = log_entries(app)
    assert (action, entity) == ("update", "user")
    assert {c["field"] for c in changes} == {"notify_order_errors", "notify_order_delivered",
                                             "notify_interface_failures"}


def test_preferences_cannot_change_anything_else(client, staff, auth, app):
    """Extra fields posted to the account form (role, name) are ignored."""
    response = client.post("/account", headers=HX, data=preferences(auth, role="admin", name="Boss"))
    assert response.status_code == 200
    user = get_user(app, staff)
    assert (user.role, user.name) == ("staff", "Sam Staff")


@pytest.mark.parametrize("language", ["fr", "", "<script>"])
def test_bad_language_is_refused(client, staff, auth, app, language):
    """An unknown language gets 422 with a field message and nothing is saved."""
    response = client.post("/account", headers=HX, data=preferences(auth, preferred_language=language))
    assert response.status_code == 422
    assert b'id="preferred_language-error"' in response.data
    assert get_user(app, staff).version == 1


def test_language_switch_changes_lang_of_the_next_page(client, staff, auth):
    """Choosing English reloads the page (HX-Redirect) and the next page is English."""
    assert b'<html lang="de">' in client.get("/").data
    response = client.post("/account", headers=HX, data=preferences(auth, preferred_language="en"))
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/account"
    page = client.get("/account")
    assert b'<html lang="en">' in page.data and b"Saved." in page.data
    response = client.post("/account", data=preferences(auth, preferred_language="de"))
    assert response.status_code == 303
    assert b'<html lang="de">' in client.get("/").data


def test_password_change_ends_other_sessions_but_keeps_this_one(client, staff, auth, app):
    """After a password change the second browser must log in again; this one stays."""
    other = logged_in_client(app, "sam")
    response = client.post("/account/password", headers=HX, data=password_change(auth))
    assert response.status_code == 200
    assert b'class="notice"' in response.data
    assert client.get("/account").status_code == 200
    gone = other.get("/account")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert AuthActions(app.test_client()).login("sam", PASSWORD).status_code == 422
    assert AuthActions(app.test_client()).login("sam", NEW_PASSWORD).status_code == 303


def test_password_change_plain_post_redirects(client, staff, auth, app):
    """Without htmx the password change redirects back to the account page, still logged in."""
    response = client.post("/account/password", data=password_change(auth))
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200
    assert get_user(app, staff).check_password(NEW_PASSWORD)


@pytest.mark.parametrize("overrides, field", [
    ({"current": "Falsch-123"}, "current"),
    ({"current": ""}, "current"),
    ({"new": "", "repeat": ""}, "new"),
    ({"repeat": "Anders-Passwort-1"}, "repeat"),
    ({"new": "Kurz-1", "repeat": "Kurz-1"}, "new"),
    ({"new": "nurklein-123", "repeat": "nurklein-123"}, "new"),
    ({"new": "NURGROSS-123", "repeat": "NURGROSS-123"}, "new"),
    ({"new": "OhneZiffer", "repeat": "OhneZiffer"}, "new"),
    ({"new": PASSWORD, "repeat": PASSWORD}, "new"),
    ({"new": "x" * 257, "repeat": "x" * 257}, "new"),
], ids=["wrong-current", "no-current", "empty", "repeat-differs", "short", "no-upper",
        "no-lower", "no-digit", "unchanged", "too-long"])
def test_bad_password_change_is_refused(client, staff, auth, app, overrides, field):
    """Each unmet rule gets a message beside its field; the password and sessions stay."""
    other = logged_in_client(app, "sam")
    response = client.post("/account/password", headers=HX, data=password_change(auth, **overrides))
    assert response.status_code == 422
    assert f'id="{field}-error"'.encode() in response.data
    assert get_user(app, staff).check_password(PASSWORD)
    assert live_sessions_of(app, staff) == 2 and other.get("/account").status_code == 200


def test_password_not_in_change_log_or_html(client, staff, auth, app):
    """The changed password is logged as 'changed' only and never sent back to the browser."""
    refused = client.post("/account/password", headers=HX, data=password_change(
        auth, repeat="Anders-Passwort-1"))
    done = client.post("/account/password", headers=HX, data=password_change(auth))
    page = client.get("/account")
    for response in (refused, done, page):
        for secret in (PASSWORD, NEW_PASSWORD, "Anders-Passwort-1"):
            assert secret.encode() not in response.data
    stored = json.dumps(log_entries(app))
    assert PASSWORD not in stored and NEW_PASSWORD not in stored
    assert log_entries(app)[0][2] == [{"field": "password", "secret": True}]


def test_directory_user_sees_managed_password(client, make_user, auth, app):
    """LDAP/OIDC users get no password form, and a posted change is refused."""
    user_id = make_user("dora", role="admin")
    auth.login("dora")
    with app.app_context():
        # Provisioned by the provider: such users log in there, not with a local password.
        user = db.session.get(User, user_id)
        user.auth_source, user.external_id = "oidc", "dora@example.org"
        db.session.commit()
    text = client.get("/account").get_data(as_text=True)
    managed = de_html("Your password is managed by the directory (%(source)s). Please change it there.",
                      source=de("Single sign-on (OpenID Connect)")).decode()
    assert managed in text and 'name="current"' not in text
    response = client.post("/account/password", headers=HX, data=password_change(auth))
    assert response.status_code == 422
    assert de_html("The password of this user is managed by the directory (LDAP / single sign-on) and "
                   "cannot be set here.") in response.data
    assert get_user(app, user_id).check_password(PASSWORD)


def test_account_requires_login(client, auth):
    """Anonymous visitors are sent to the login page, also for posts."""
    assert client.get("/account").status_code == 302
    response = client.post("/account", data={"preferred_language": "en", "csrf_token": auth.csrf_token()})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with client.application.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0
