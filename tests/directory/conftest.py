"""The directory screens test against the same kind of real servers as the login tests."""
from tests.auth.conftest import (directory_person, oidc_issuer, provider_user,  # noqa: F401 (fixtures)
                                 shop_branches, slapd)
