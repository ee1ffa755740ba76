"""Local login: success, failures, lockout, safe redirects, CSRF."""
from tests.factories import PASSWORD


def test_login_page_is_german_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'lang="de"' in response.data


def test_pages_require_login(client):
    response = client.get("/branches/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_htmx_request_without_login_gets_hx_redirect(client):
    response = client.get("/branches/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_login_and_logout(client, auth, make_user):
    make_user("berta", role="staff")
    response = auth.login("berta")
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(client, auth, make_user):
    make_user("berta")
    response = auth.login("berta", "Falsch-123")
    assert response.status_code == 422
    assert client.get("/").status_code == 302


def test_lockout_after_repeated_failures(client, auth, make_user):
    """Five failures lock the account; even the right password is then refused."""
    make_user("berta")
    for _ in range(5):
        auth.login("berta", "Falsch-123")
    response = auth.login("berta", PASSWORD)
    assert response.status_code == 422
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(client, auth, make_user):
    make_user("berta", active=False)
    assert auth.login("berta").status_code == 422


def test_next_redirect_only_to_own_paths(client, auth, make_user):
    make_user("berta")
    for target, expected in [("/branches/", "/branches/"), ("https://evil.example/", "/"),
                             ("//evil.example/", "/"), ("/\\evil.example", "/")]:
        response = client.post("/login", data={"username": "berta", "password": PASSWORD,
                                               "next": target, "csrf_token": auth.csrf_token()})
        assert response.status_code == 303
        assert response.headers["Location"] == expected, target
        auth.logout()


def test_post_without_csrf_token_is_refused(client, auth, make_user):
    make_user("berta")
    response = client.post("/login", data={"username": "berta", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/").status_code == 302
