"""From a directory's groups (or an identity provider's claims) to our role and branches.
Shared by LDAP and OpenID Connect; plain functions on plain values."""
from ..permissions import ADMIN, BRANCH_MANAGER, STAFF
from .ldap import normalise_dn

# The strongest mapped role wins when a person is in several groups.
ROLE_RANK = {STAFF: 1, BRANCH_MANAGER: 2, ADMIN: 3}


def normalise_map(mapping):
    """Keys compared case-insensitively; DNs without blanks around separators."""
    result = {}
    for key, value in (mapping or {}).items():
        key = str(key).strip()
        if not key:
            continue
        result[normalise_dn(key) if "=" in key else key.lower()] = str(value).strip()
    return result


def role_for(groups, role_map):
    """The strongest role any of `groups` maps to, or None (no access)."""
    role_map = normalise_map(role_map)
    roles = [role_map[name] for name in groups if name in role_map and role_map[name] in ROLE_RANK]
    return max(roles, key=ROLE_RANK.get) if roles else None


def branch_codes(groups=(), values=(), prefix="", branch_map=None):
    """Short codes of the branches a person belongs to. A group counts when `branch_map`
    names it or it is called <prefix><code>; a value (of an attribute or claim) counts when
    `branch_map` names it, else it is a code itself (with the prefix, if any, removed).
    Upper-cased and sorted; codes of branches that do not exist are dropped by the caller."""
    branch_map = normalise_map(branch_map)
    prefix = (prefix or "").strip().lower()
    codes = set()
    for name in groups:
        key = name.lower()
        if key in branch_map:
            codes.add(branch_map[key].upper())
        elif prefix and key.startswith(prefix) and len(key) > len(prefix) and "=" not in key:
            codes.add(name[len(prefix):].upper())
    for value in values:
        value = str(value).strip()
        key = value.lower()
        if not value:
            continue
        if key in branch_map:
            codes.add(branch_map[key].upper())
        elif prefix and key.startswith(prefix) and len(key) > len(prefix):
            codes.add(value[len(prefix):].upper())
        else:
            codes.add(value.upper())
    return sorted(codes)
