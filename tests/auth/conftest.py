"""The login tests' own fixtures: the local copy of a person, and people added to the seeded
directory for one test (the servers themselves, slapd and oidc-provider-mock, are in
tests/conftest.py: the directory screens use them too)."""
import pytest

from tests.auth import servers


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
