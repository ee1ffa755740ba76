"""Real servers for the login tests: slapd with the seeded directory, and oidc-provider-mock,
each started once per test session on loopback ports and stopped by its PID/thread."""
import uuid
from urllib.parse import quote

import pytest
import requests

from tests.auth import servers


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """The seeded directory (see servers.PEOPLE_ENTRIES / GROUP_ENTRIES), shared by the
    session: tests that change entries use `directory_person`, which cleans up."""
    if not servers.have_slapd():
        pytest.fail("slapd is not installed: apt-get install slapd ldap-utils")
    server = servers.Slapd(tmp_path_factory.mktemp("slapd") / "db").start()
    yield server
    server.stop()


@pytest.fixture
def local_user(app):
    """The local copy of a person, as plain values (None when there is none)."""
    from webapp.extensions import db
    from webapp.users.models import User

    def read(username):
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == username))
            if user is None:
                return None
            return {"role": user.role, "active": user.active, "auth_source": user.auth_source,
                    "name": user.name, "email": user.email, "phone": user.phone,
                    "external_id": user.external_id,
                    "branches": sorted(b.short_code for b in user.branches)}

    return read


@pytest.fixture
def shop_branches(make_branch):
    """The branches the directory's groups and attributes name: ST, LB, ES."""
    return {code: make_branch(name, code) for code, name in
            (("ST", "Stuttgart Mitte"), ("LB", "Ludwigsburg"), ("ES", "Esslingen"))}


@pytest.fixture
def directory_person(slapd):
    """Add a person (and group memberships) to the directory for one test; removed after."""
    added = []

    def add(uid, groups=("app-staff",), password=None, **attributes):
        import ldap3

        dn = servers.person_dn(uid)
        with slapd.admin() as connection:
            assert connection.add(dn, ["inetOrgPerson"], {
                "uid": uid, "cn": attributes.pop("cn", uid.title()), "sn": uid,
                "userPassword": servers.ssha(password or uid + "pw"), **attributes})
            added.append(dn)
            for group in groups:
                assert connection.modify(f"cn={group},{servers.GROUPS}",
                                         {"member": [(ldap3.MODIFY_ADD, [dn])]})
        return dn

    yield add
    import ldap3

    with slapd.admin() as connection:
        for dn in added:
            connection.search(servers.GROUPS, f"(member={ldap3.utils.conv.escape_filter_chars(dn)})",
                              attributes=["cn"])
            for group in list(connection.entries):
                connection.modify(group.entry_dn, {"member": [(ldap3.MODIFY_DELETE, [dn])]})
            connection.delete(dn)


@pytest.fixture(scope="session")
def oidc_issuer():
    """oidc-provider-mock as a real HTTP server; it requires a nonce in every request."""
    with servers.oidc_provider(require_nonce=True) as issuer:
        yield issuer


@pytest.fixture
def provider_user(oidc_issuer):
    """Register a person at the provider with these claims; returns their (unique) sub."""

    def add(**claims):
        sub = claims.pop("sub", None) or f"user-{uuid.uuid4().hex[:10]}"
        response = requests.put(f"{oidc_issuer}/users/{quote(sub, safe='')}", json=claims, timeout=5)
        assert response.status_code == 204, response.text
        return sub

    return add
