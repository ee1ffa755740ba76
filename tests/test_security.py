"""Security baseline: headers, CSRF on every state change, friendly errors, login required."""
import pytest

from webapp.extensions import db


def test_security_headers_on_pages(client, admin):
    response = client.get("/branches/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_contain_no_inline_script(client, admin, make_branch):
    """CSP forbids inline script; make sure no page relies on it."""
    branch_id = make_branch("Esslingen", "ES")
    for url in ["/", "/branches/", f"/branches/{branch_id}", "/workstations/", "/chain", "/login"]:
        body = client.get(url).get_data(as_text=True)
        for chunk in body.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), url
        assert " onclick=" not in body and "style=" not in body, url


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_default_cookie_is_secure():
    from webapp.config import DEFAULTS

    assert DEFAULTS["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("url", ["/branches/new", "/workstations/new", "/chain", "/logout",
                                 "/language"])
def test_state_changing_requests_need_csrf(client, admin, url):
    """Without a token every POST is refused — also from htmx, which then reloads the page."""
    assert client.post(url, data={"name": "X"}).status_code == 403
    hx = client.post(url, data={"name": "X"}, headers={"HX-Request": "true"})
    assert hx.status_code == 403
    assert hx.headers["HX-Refresh"] == "true"


def test_csrf_token_in_header_is_accepted(client, admin, auth, app):
    """htmx sends the token as X-CSRFToken (from hx-headers on <body>)."""
    response = client.post("/branches/new", data={"name": "Ulm", "short_code": "UL"},
                           headers={"HX-Request": "true", "X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 200


@pytest.mark.parametrize("target", ["/a\r\nSet-Cookie: x=1", "/\n/evil.example", "/a\x00"])
def test_a_next_with_control_characters_is_not_followed(client, admin, auth, target):
    """A line break in ?next= (or the language switch's next) broke the Location header
    (500); such a target is refused like one to another host."""
    response = client.get("/login", query_string={"next": target})
    assert (response.status_code, response.location) == (302, "/")
    response = client.post("/language", data={"lang": "de", "next": target,
                                              "csrf_token": auth.csrf_token()})
    assert (response.status_code, response.location) == (303, "/")


def test_not_found_is_friendly(client, admin):
    response = client.get("/branches/999999")
    assert response.status_code == 404
    assert b"<html" in response.data and b"Traceback" not in response.data


def test_htmx_errors_go_to_the_message_area(client, admin):
    response = client.get("/branches/999999", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#messages"
    assert b"<html" not in response.data


def test_unexpected_error_shows_no_stack_trace(app, client, auth, make_user):
    """A crash becomes a friendly 500 page (and fragment); the details go to the log only."""
    def crash():
        raise RuntimeError("secret internal detail")

    # A real route that fails, registered before the app serves its first request.
    app.add_url_rule("/crash", "crash", crash)
    make_user("admin", role="admin")
    auth.login("admin")
    page = client.get("/crash")
    assert page.status_code == 500
    assert b"<html" in page.data
    assert b"secret internal detail" not in page.data and b"Traceback" not in page.data
    fragment = client.get("/crash", headers={"HX-Request": "true"})
    assert fragment.status_code == 500 and fragment.headers["HX-Retarget"] == "#messages"
    assert b"secret internal detail" not in fragment.data


def test_health_needs_no_login(client):
    assert client.get("/health").json == {"status": "ok"}


def test_static_files_need_no_login(client):
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200


def test_deactivated_user_is_logged_out(client, auth, make_user, app):
    from webapp.users.models import User

    user_id = make_user("berta")
    auth.login("berta")
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert client.get("/").status_code == 302


def test_values_in_translated_messages_are_escaped(app):
    """A lazy message carrying user input is escaped, alone and inside join (no XSS)."""
    from flask import render_template_string
    from flask_babel import lazy_gettext

    message = lazy_gettext("users: %(names)s", names="<script>alert(1)</script>")
    with app.test_request_context():
        html = render_template_string("{{ m }}|{{ [m, m] | join(' ') }}", m=message)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_body_beyond_the_limit_is_refused_before_it_is_read(client):
    """The CSRF check reads a post's form before anything asks for a login: without a cap
    anyone could make the server read a body of any size."""
    response = client.post("/login", data={"username": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
