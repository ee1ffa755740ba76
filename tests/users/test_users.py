"""User administration: list, create, edit, delete; permissions, validation and the rules that
keep administrators from locking the chain out."""
import json

import pytest

from tests.factories import (
    HX, PASSWORD, AuthActions, get_user, live_sessions_of, log_entries, logged_in_client,
)
from tests.translated import de_html
from webapp.extensions import db
from webapp.users.models import User

NEW_PASSWORD = "Neu-Passwort-77"
DIRECTORY_MANAGED = de_html("The password of this user is managed by the directory (LDAP / single sign-on) "
                            "and cannot be set here.")


def user_data(auth, **overrides):
    data = {
        "username": "berta", "name": "Berta Beispiel", "email": "berta@example.org",
        "phone": "+49 711 555", "role": "staff", "active": "y", "preferred_language": "de",
        "notify_order_errors": "y", "branch_ids": [], "password": "",
        "csrf_token": auth.csrf_token(),
    }
    data.update(overrides)
    return data


def count_users(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(User))


@pytest.fixture
def branch(make_branch):
    return make_branch("Esslingen", "ES")


# --- list --------------------------------------------------------------------------------

def test_list_page_and_htmx_search_fragment(client, admin, make_user, branch):
    """The full page has the layout; an htmx search returns only the matching rows."""
    make_user("berta", role="staff", branch_ids=[branch], name="Berta Beispiel")
    make_user("max", role="branch_manager", branch_ids=[branch], name="Max Muster")
    page = client.get("/users/")
    assert page.status_code == 200
    assert b"<html" in page.data and b"Berta Beispiel" in page.data and b"Max Muster" in page.data
    assert "HX-Request" in page.headers.get("Vary", "")
    fragment = client.get("/users/?q=BERT", headers=HX)
    assert fragment.status_code == 200
    assert b"<html" not in fragment.data
    assert b"Berta Beispiel" in fragment.data and b"Max Muster" not in fragment.data


def test_list_filters_by_role_and_shows_branches_and_status(client, admin, make_user, branch):
    """The role filter narrows the list; rows show role, branches and an active badge."""
    make_user("berta", role="staff", branch_ids=[branch], name="Berta Beispiel", active=False)
    make_user("max", role="branch_manager", branch_ids=[branch], name="Max Muster")
    response = client.get("/users/?role=staff", headers=HX)
    text = response.get_data(as_text=True)
    assert "Berta Beispiel" in text and "Max Muster" not in text and "Anna Admin" not in text
    assert "Esslingen" in text and 'class="badge off"' in text
    unknown_role = client.get("/users/?role=superuser", headers=HX).get_data(as_text=True)
    assert "Berta Beispiel" in unknown_role and "Anna Admin" in unknown_role


def test_list_search_treats_wildcards_literally(client, admin, make_user, branch):
    """A '_' in the search matches an underscore, not any character."""
    make_user("b_rta", branch_ids=[branch], name="Mit Unterstrich")
    make_user("bxrta", branch_ids=[branch], name="Ohne Unterstrich")
    text = client.get("/users/?q=b_r", headers=HX).get_data(as_text=True)
    assert "Mit Unterstrich" in text and "Ohne Unterstrich" not in text


# --- create ------------------------------------------------------------------------------

def test_create_user_with_htmx(client, admin, auth, app, branch):
    """A valid htmx create returns the editor, pushes the URL, refreshes the list, and the
    new user can log in with the initial password."""
    response = client.post("/users/new", headers=HX, data=user_data(
        auth, username="Berta.B", branch_ids=[str(branch)], password=NEW_PASSWORD))
    assert response.status_code == 200
    assert "users-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"].startswith("/users/")
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "berta.b"))
        assert user.name == "Berta Beispiel" and user.auth_source == "local"
        assert user.branch_ids == {branch} and user.notify_order_errors is True
        assert user.notify_chat_messages is False
    [(action, entity, changes)] = log_entries(app)
    assert (action, entity) == ("create", "user")
    assert {"field": "password", "secret": True} in changes
    other = app.test_client()
    assert AuthActions(other).login("berta.b", NEW_PASSWORD).status_code == 303


def test_create_plain_post_redirects(client, admin, auth, branch):
    """Without htmx a successful post redirects (post/redirect/get)."""
    response = client.post("/users/new", data=user_data(
        auth, branch_ids=[str(branch)], password=NEW_PASSWORD))
    assert response.status_code == 303
    follow = client.get(response.headers["Location"])
    assert b"Berta Beispiel" in follow.data


def test_new_user_form_starts_with_model_defaults(client, admin):
    """The empty form for a new user is active, staff, German, with the default notifications."""
    text = client.get("/users/new", headers=HX).get_data(as_text=True)
    assert '<input checked id="active"' in text and '<input checked id="notify_order_errors"' in text
    assert '<option selected value="staff">' in text
    assert '<option selected value="de">' in text


@pytest.mark.parametrize("overrides", [
    {"username": ""},
    {"username": "x" * 65},
    {"username": "berta beispiel"},
    {"username": "<script>"},
    {"name": ""},
    {"name": "x" * 121},
    {"name": "<script>alert(1)</script>"},
    {"email": "not-an-email"},
    {"email": "x" * 250 + "@example.org"},
    {"phone": "call me"},
    {"role": "superuser"},
    {"role": ""},
    {"branch_ids": ["abc"]},
    {"branch_ids": ["999"]},
    {"preferred_language": "fr"},
    {"password": ""},
], ids=lambda o: "-".join(f"{k}={str(v)[:12]}" for k, v in o.items()))
def test_bad_input_gets_field_message_and_saves_nothing(client, admin, auth, app, branch, overrides):
    """Empty, too long, malformed, wrongly typed and script input: 422 with a message."""
    data = user_data(auth, branch_ids=[str(branch)], password=NEW_PASSWORD)
    data.update(overrides)
    response = client.post("/users/new", data=data, headers=HX)
    assert response.status_code == 422
    assert b'class="error"' in response.data
    assert b"<script>alert" not in response.data and b'value="<script>' not in response.data
    assert count_users(app) == 1


def test_duplicate_username_in_other_case_is_refused(client, admin, auth, app, make_user, branch):
    """A username that differs only in case is taken; the message stands beside the field."""
    make_user("berta", branch_ids=[branch])
    response = client.post("/users/new", headers=HX, data=user_data(
        auth, username="BERTA", branch_ids=[str(branch)], password=NEW_PASSWORD))
    assert response.status_code == 422
    assert b'id="username-error"' in response.data
    assert count_users(app) == 2


def test_staff_and_branch_managers_need_a_branch_admins_do_not(client, admin, auth, app):
    """Without a branch, staff and branch managers are refused at the branches; admins pass."""
    for role in ("staff", "branch_manager"):
        response = client.post("/users/new", headers=HX, data=user_data(
            auth, role=role, password=NEW_PASSWORD))
        assert response.status_code == 422
        assert b'id="branch_ids-error"' in response.data
    assert count_users(app) == 1
    response = client.post("/users/new", headers=HX, data=user_data(
        auth, role="admin", password=NEW_PASSWORD))
    assert response.status_code == 200
    assert count_users(app) == 2


@pytest.mark.parametrize("password", ["Kurz-1", "nurklein-123", "NURGROSS-123", "OhneZiffer"])
def test_password_policy(client, admin, auth, app, make_user, branch, password):
    """Initial and new passwords must meet the policy; nothing is saved otherwise."""
    response = client.post("/users/new", headers=HX, data=user_data(
        auth, branch_ids=[str(branch)], password=password))
    assert response.status_code == 422
    assert b'id="password-error"' in response.data
    assert count_users(app) == 1
    user_id = make_user("carl", branch_ids=[branch])
    response = client.post(f"/users/{user_id}", headers=HX, data=user_data(
        auth, username="carl", name="Carl", branch_ids=[str(branch)], password=password,
        version="1"))
    assert response.status_code == 422
    assert b'id="password-error"' in response.data
    assert get_user(app, user_id).check_password(PASSWORD)


# --- edit --------------------------------------------------------------------------------

def test_edit_changes_fields_and_logs_them(client, admin, auth, app, make_user, make_branch, branch):
    """Saving writes the changed fields, branches by name, into the change log."""
    ulm = make_branch("Ulm", "UL")
    user_id = make_user("berta", branch_ids=[branch], name="Berta Beispiel")
    response = client.post(f"/users/{user_id}", headers=HX, data=user_data(
        auth, branch_ids=[str(branch), str(ulm)], role="branch_manager", version="1"))
    assert response.status_code == 200
    user = get_user(app, user_id)
    assert user.role == "branch_manager" and user.version == 2
    [(action, _, changes)] = log_entries(app)
    assert action == "update"
    assert {"field": "branch_ids", "old": "Esslingen", "new": "Esslingen, Ulm"} in changes
    assert {"field": "role", "old": "staff", "new": "branch_manager"} in changes


def test_edit_without_change_writes_no_log(client, admin, auth, app, make_user, branch):
    """Saving unchanged values does not bump the version or write a change-log entry."""
    user_id = make_user("berta", branch_ids=[branch], name="Berta Beispiel",
                        email="berta@example.org", phone="+49 711 555")
    response = client.post(f"/users/{user_id}", headers=HX, data=user_data(
        auth, branch_ids=[str(branch)], notify_chat_messages="y", version="1"))
    assert response.status_code == 200
    assert get_user(app, user_id).version == 1
    assert log_entries(app) == []


def test_empty_new_password_keeps_the_password(client, admin, auth, app, make_user, branch):
    """An empty 'set new password' leaves the password as it is."""
    user_id = make_user("berta", branch_ids=[branch])
    response = client.post(f"/users/{user_id}", headers=HX, data=user_data(
        auth, branch_ids=[str(branch)], name="Berta Neu", version="1"))
    assert response.status_code == 200
    assert get_user(app, user_id).check_password(PASSWORD)


def test_stale_version_is_refused_and_input_kept(client, admin, auth, app, make_user, branch):
    """Saving over a newer change is refused with who/when, and the typed input stays."""
    user_id = make_user("berta", branch_ids=[branch])
    with app.app_context():
        user = db.session.get(User, user_id)
        user.version, user.updated_by = 2, "Carla Chefin"
        db.session.commit()
    response = client.post(f"/users/{user_id}", headers=HX, data=user_data(
        auth, branch_ids=[str(branch)], name="Mein Name", version="1"))
    assert response.status_code == 409
    assert b"Carla Chefin" in response.data and b'value="Mein Name"' in response.data


def test_password_never_in_change_log_or_html(client, admin, auth, app, make_user, branch):
    """Passwords show up as 'changed' in the log, never as a value, and never in a page."""
    pages = [client.post("/users/new", headers=HX, data=user_data(
        auth, branch_ids=[str(branch)], password=NEW_PASSWORD))]
    user_id = get_user_id(app, "berta")
    pages.append(client.post(f"/users/{user_id}", headers=HX, data=user_data(
        auth, branch_ids=[str(branch)], password="Zweites-Passwort-9", version="1")))
    # A refused save must not echo the typed password either.
    pages.append(client.post(f"/users/{user_id}", headers=HX, data=user_data(
        auth, name="", branch_ids=[str(branch)], password="Drittes-Passwort-9", version="2")))
    pages += [client.get(f"/users/{user_id}"), client.get("/users/")]
    assert [p.status_code for p in pages] == [200, 200, 422, 200, 200]
    with app.app_context():
        password_hash = db.session.get(User, user_id).password_hash
    for page in pages:
        for secret in (NEW_PASSWORD, "Zweites-Passwort-9", "Drittes-Passwort-9", password_hash):
            assert secret.encode() not in page.data
    stored = json.dumps(log_entries(app))
    for secret in (NEW_PASSWORD, "Zweites-Passwort-9", password_hash):
        assert secret not in stored
    assert [c for _, _, changes in log_entries(app) for c in changes if c["field"] == "password"] \
        == [{"field": "password", "secret": True}] * 2


def get_user_id(app, username):
    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.username == username))


def test_new_password_ends_the_users_sessions(client, admin, auth, app, make_user, branch):
    """Setting a new password logs the user out everywhere; the new password works."""
    user_id = make_user("berta", branch_ids=[branch])
    berta = logged_in_client(app, "berta")
    response = client.post(f"/users/{user_id}", headers=HX, data=user_data(
        auth, branch_ids=[str(branch)], password=NEW_PASSWORD, version="1"))
    assert response.status_code == 200
    gone = berta.get("/")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert AuthActions(app.test_client()).login("berta", NEW_PASSWORD).status_code == 303


def test_deactivation_logs_the_user_out(client, admin, auth, app, make_user, branch):
    """A deactivated user's next request goes to the login page, and login is refused."""
    user_id = make_user("berta", branch_ids=[branch])
    berta = logged_in_client(app, "berta")
    data = user_data(auth, branch_ids=[str(branch)], version="1")
    del data["active"]
    assert client.post(f"/users/{user_id}", headers=HX, data=data).status_code == 200
    assert get_user(app, user_id).active is False
    assert live_sessions_of(app, user_id) == 0
    gone = berta.get("/users/")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert AuthActions(app.test_client()).login("berta").status_code == 422


def test_admin_setting_own_password_stays_logged_in(client, admin, auth, app):
    """An admin's own new password from the editor keeps this session."""
    response = client.post(f"/users/{admin}", headers=HX, data=user_data(
        auth, username="admin", name="Anna Admin", role="admin", password=NEW_PASSWORD,
        version="1"))
    assert response.status_code == 200
    assert client.get("/users/").status_code == 200
    assert get_user(app, admin).check_password(NEW_PASSWORD)


def test_directory_user_password_is_refused(client, admin, auth, app, make_user, branch):
    """LDAP/OIDC users get no password field, and a posted password is refused."""
    user_id = make_user("dora", branch_ids=[branch], auth_source="ldap", external_id="uid=dora")
    editor = client.get(f"/users/{user_id}", headers=HX).get_data(as_text=True)
    assert 'name="password"' not in editor and DIRECTORY_MANAGED.decode() in editor
    response = client.post(f"/users/{user_id}", headers=HX, data=user_data(
        auth, username="dora", branch_ids=[str(branch)], password=NEW_PASSWORD, version="1"))
    assert response.status_code == 422
    assert DIRECTORY_MANAGED in response.data
    assert get_user(app, user_id).check_password(PASSWORD)


# --- administrators' self-protection -----------------------------------------------------

def admin_data(auth, **overrides):
    """The logged-in admin's own record, as the editor would post it."""
    return user_data(auth, **{"username": "admin", "name": "Anna Admin", "role": "admin",
                              "version": "1", **overrides})


@pytest.mark.parametrize("second_admin, reasons", [
    (False, (de_html("The last active administrator must keep the administrator role."),
             de_html("The last active administrator cannot be deactivated."),
             de_html("The last active administrator cannot be deleted."))),
    (True, (de_html("You cannot take away your own administrator role."),
            de_html("You cannot deactivate your own account."),
            de_html("You cannot delete your own account."))),
], ids=["last-active-admin", "own-account"])
def test_admin_cannot_be_locked_out(client, admin, auth, app, make_user, second_admin, reasons):
    """The last active admin, and any admin on their own account, cannot be demoted,
    deactivated or deleted; the message says why, beside the field where there is one."""
    if second_admin:
        make_user("otto", role="admin")
    demote = client.post(f"/users/{admin}", headers=HX, data=admin_data(auth, role="staff"))
    data = admin_data(auth)
    del data["active"]
    deactivate = client.post(f"/users/{admin}", headers=HX, data=data)
    delete = client.post(f"/users/{admin}/delete", headers=HX, data={"csrf_token": auth.csrf_token()})
    assert [demote.status_code, deactivate.status_code, delete.status_code] == [422, 422, 409]
    assert b'id="role-error"' in demote.data and b'id="active-error"' in deactivate.data
    for response, reason in zip((demote, deactivate, delete), reasons):
        assert reason in response.data
    user = get_user(app, admin)
    assert (user.role, user.active, user.version) == ("admin", True, 1)
    assert log_entries(app) == []


def test_inactive_admins_do_not_count_as_the_remaining_admin(client, admin, auth, app, make_user):
    """Another admin who is deactivated does not let the last active one step down."""
    make_user("otto", role="admin", active=False)
    response = client.post(f"/users/{admin}", headers=HX, data=admin_data(auth, role="staff"))
    assert response.status_code == 422
    assert de_html("The last active administrator must keep the administrator role.") in response.data


def test_admin_demotes_and_deletes_another_admin(client, admin, auth, app, make_user, branch):
    """Other administrators can be demoted and deleted while one active admin remains."""
    otto = make_user("otto", role="admin", name="Otto")
    response = client.post(f"/users/{otto}", headers=HX, data=user_data(
        auth, username="otto", name="Otto", role="staff", branch_ids=[str(branch)], version="1"))
    assert response.status_code == 200
    assert get_user(app, otto).role == "staff"
    response = client.post(f"/users/{otto}/delete", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    assert get_user(app, otto) is None


# --- delete ------------------------------------------------------------------------------

def test_delete_keeps_history_and_logs_the_delete(client, admin, auth, app, branch):
    """Change-log entries about or by a user do not block deleting them; the delete is logged."""
    client.post("/users/new", headers=HX, data=user_data(
        auth, branch_ids=[str(branch)], password=NEW_PASSWORD))
    user_id = get_user_id(app, "berta")
    confirm = client.get(f"/users/{user_id}/delete")
    assert confirm.status_code == 200 and b"Berta Beispiel" in confirm.data
    response = client.post(f"/users/{user_id}/delete", headers=HX, data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 200
    assert "users-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"] == "/users/"
    assert get_user(app, user_id) is None
    assert [(a, e) for a, e, _ in log_entries(app)] == [("create", "user"), ("delete", "user")]


def test_unknown_user_is_404(client, admin, auth):
    assert client.get("/users/999").status_code == 404
    assert client.post("/users/999", data=user_data(auth, version="1")).status_code == 404


# --- permissions -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["staff", "branch_manager"])
def test_non_admins_read_but_every_change_is_403(client, auth, app, make_user, branch, role):
    """Staff and branch managers see list and records read-only; every direct POST is a 403."""
    target = make_user("berta", branch_ids=[branch], name="Berta Beispiel")
    me = make_user("maria", role=role, branch_ids=[branch])
    auth.login("maria")
    assert client.get("/users/").status_code == 200
    record = client.get(f"/users/{target}")
    assert record.status_code == 200 and b"Berta Beispiel" in record.data
    assert b"<fieldset disabled" in record.data and b'type="submit" class="primary"' not in record.data
    assert b'name="password"' not in record.data
    assert client.get("/users/new").status_code == 403
    assert client.get(f"/users/{target}/delete").status_code == 403
    good = user_data(auth, branch_ids=[str(branch)], password=NEW_PASSWORD, version="1")
    assert client.post("/users/new", data=good).status_code == 403
    assert client.post("/users/new", data=user_data(auth, name="")).status_code == 403
    assert client.post(f"/users/{target}", data=dict(good, name="Neu")).status_code == 403
    assert client.post(f"/users/{me}", data=dict(good, username="maria", role="admin")).status_code == 403
    assert client.post(f"/users/{target}/delete", data={"csrf_token": auth.csrf_token()}).status_code == 403
    assert count_users(app) == 2
    assert get_user(app, target).name == "Berta Beispiel"
    assert get_user(app, me).role == role
    assert log_entries(app) == []
