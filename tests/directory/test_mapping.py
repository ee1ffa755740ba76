"""Groups and claim values → role and branch short codes."""
from webapp.directory import mapping
from webapp.directory.ldap import normalise_dn

ROLES = {"app-admins": "admin", "CN=Filialleitung,OU=Groups,DC=example,DC=org": "branch_manager",
         "app-staff": "staff"}


def test_strongest_mapped_role_wins():
    """Several mapped groups: admin beats branch manager beats staff; case does not matter."""
    assert mapping.role_for({"app-staff", "app-admins"}, ROLES) == "admin"
    assert mapping.role_for({"app-staff"}, ROLES) == "staff"
    assert mapping.role_for({"kantine"}, ROLES) is None


def test_groups_match_by_dn_regardless_of_case_and_blanks():
    """A group mapped by DN matches however the directory spells the DN."""
    dn = "cn=filialleitung, ou=groups, dc=example, dc=org"
    assert mapping.role_for({normalise_dn(dn)}, ROLES) == "branch_manager"


def test_unknown_roles_in_the_map_are_ignored():
    """A map naming a role we do not have gives no access."""
    assert mapping.role_for({"x"}, {"x": "superuser"}) is None


def test_branch_codes_from_groups_values_and_map():
    """Prefixed groups, plain values, and translated names all give short codes."""
    codes = mapping.branch_codes(groups={"filiale-st", "app-staff", "team-nord"},
                                 values=["es", "Filiale Ludwigsburg"],
                                 prefix="filiale-",
                                 branch_map={"Team-Nord": "hh", "Filiale Ludwigsburg": "LB"})
    assert codes == ["ES", "HH", "LB", "ST"]
